import type { DedupeInfo } from '@duplex/core';

/**
 * Reads `X-Duplex-Dedupe` from the Fetch handler's `OPTIONS` answer (protocol.md §12): the
 * server's dedupe window as `ready.dedupe` gives it on a socket. Absent or malformed counts as
 * none, so mutations are then never sent twice.
 */
export function readDedupeHeader(headers: Headers): DedupeInfo | undefined {
  const text = headers.get('x-duplex-dedupe');
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as { windowMs?: unknown; maxEntries?: unknown };
    const valid = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;
    return valid(value.windowMs) && valid(value.maxEntries) ? { windowMs: value.windowMs, maxEntries: value.maxEntries } : undefined;
  } catch {
    return undefined;
  }
}
