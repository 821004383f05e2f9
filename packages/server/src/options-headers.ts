import type { DedupeInfo } from '@duplex/core';

/** The header of an `OPTIONS` answer stating the server's dedupe window (protocol.md §12), as `ready.dedupe` does on the socket. */
export const DEDUPE_HEADER = 'X-Duplex-Dedupe';

/**
 * Headers of the Fetch handler's `OPTIONS` answer: the CORS preflight (every request header the
 * HTTP transport sends) and, when the server keeps a dedupe window, its bounds, which the client
 * reads before it sends anything, so a mutation whose answer was lost is sent again (exposed to
 * cross-origin pages with `Access-Control-Expose-Headers`).
 */
export function optionsHeaders(dedupe: DedupeInfo | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': 'Content-Type, X-Duplex-Params, X-Duplex-Session, X-Duplex-Seq, Last-Event-ID, traceparent, tracestate',
    'Access-Control-Max-Age': '600',
  };
  if (dedupe) {
    headers[DEDUPE_HEADER] = JSON.stringify({ windowMs: dedupe.windowMs, maxEntries: dedupe.maxEntries });
    headers['Access-Control-Expose-Headers'] = DEDUPE_HEADER;
  }
  return headers;
}
