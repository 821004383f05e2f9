import type { IncomingMessage } from 'node:http';

/** Who may open a socket from a browser page: a list of origins or a predicate. */
export type AllowedOrigins = readonly string[] | ((origin: string, request: IncomingMessage) => boolean);

/**
 * Cross-site WebSocket hijacking guard. Without `allowedOrigins`: non-browser clients (no
 * `Origin` header) and same-origin pages pass; any other page is refused.
 */
export function isOriginAllowed(request: IncomingMessage, allowed: AllowedOrigins | undefined): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (typeof allowed === 'function') {
    // The header is attacker-chosen: a predicate that throws on it (`new URL('garbage')`) refuses.
    try {
      return allowed(origin, request) === true;
    } catch {
      return false;
    }
  }
  if (allowed) return allowed.includes(origin) || allowed.includes('*');
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host !== '' && host === request.headers.host;
}
