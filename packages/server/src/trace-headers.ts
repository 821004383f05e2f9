import { toWireTraceContext, type WireTraceContext } from '@duplex/core';

/**
 * The W3C trace context of an HTTP request (`traceparent` / `tracestate` headers), in the wire form
 * a `call` or `sub` carries as `tc` (protocol.md §4.1, §12); undefined without a `traceparent`.
 */
export function traceContextFromHeaders(headers: Headers): WireTraceContext | undefined {
  const traceparent = headers.get('traceparent');
  if (traceparent === null) return undefined;
  const tracestate = headers.get('tracestate');
  return toWireTraceContext(tracestate === null ? { traceparent } : { traceparent, tracestate });
}
