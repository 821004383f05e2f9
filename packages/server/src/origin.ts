import type { IncomingMessage } from 'node:http';

/**
 * Who may open a socket from a browser page: a list of origins or a predicate. The predicate gets
 * the upgrade request: Node's `IncomingMessage` on `ws`, a Fetch `Request` on Bun and Deno.
 */
export type AllowedOrigins<TRequest = IncomingMessage> = readonly string[] | ((origin: string, request: TRequest) => boolean);

/**
 * Cross-site WebSocket hijacking guard. Without `allowedOrigins`: non-browser clients (no
 * `Origin` header) and same-origin pages pass; any other page is refused.
 */
export function isOriginAllowed(request: IncomingMessage, allowed: AllowedOrigins | undefined): boolean {
  return checkOrigin({ origin: request.headers.origin, host: request.headers.host, request }, allowed);
}

/** {@link isOriginAllowed} for any request shape: the `Origin` and `Host` headers read by the adapter. */
export function checkOrigin<TRequest>(
  from: { origin: string | null | undefined; host: string | null | undefined; request: TRequest },
  allowed: AllowedOrigins<TRequest> | undefined,
): boolean {
  const { origin, request } = from;
  if (origin === undefined || origin === null) return true;
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
  return host !== '' && host === from.host;
}
