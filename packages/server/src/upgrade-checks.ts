import { type Clock, DuplexError, SUBPROTOCOL } from '@duplex/core';
import { TIMED_OUT, withDeadline } from './drain.js';
import { type AllowedOrigins, checkOrigin } from './origin.js';

/** An HTTP refusal of a WebSocket upgrade: the status and a plain-text reason. */
export interface UpgradeRefusal {
  status: 400 | 401 | 403 | 500 | 503;
  message: string;
}

/** The parts of an upgrade request the checks read, taken from the runtime's request by its adapter. */
export interface UpgradeFacts<TRequest> {
  request: TRequest;
  origin: string | null | undefined;
  host: string | null | undefined;
  /** The `Sec-WebSocket-Protocol` header. */
  protocols: string | null | undefined;
}

/** Whether the client offered `duplex.v1` in its `Sec-WebSocket-Protocol` header. */
export function offersSubprotocol(header: string | null | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((p) => p.trim() === SUBPROTOCOL);
}

/** The reason phrase of the statuses an upgrade can be refused with. */
export function statusText(status: number): string {
  return status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 503 ? 'Service Unavailable' : status === 500 ? 'Internal Server Error' : 'Bad Request';
}

/**
 * The checks every adapter runs before upgrading, in order (security.md): origin, subprotocol,
 * then `verifyUpgrade` bounded by the hello timeout. Resolves with the refusal, or undefined to upgrade.
 */
export async function checkUpgrade<TRequest>(
  facts: UpgradeFacts<TRequest>,
  options: {
    allowedOrigins?: AllowedOrigins<TRequest> | undefined;
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing allows the upgrade
    verifyUpgrade?: ((opts: { request: TRequest }) => boolean | undefined | void | Promise<boolean | undefined | void>) | undefined;
    handshakeMs: number;
    clock: Clock;
  },
): Promise<UpgradeRefusal | undefined> {
  if (!checkOrigin(facts, options.allowedOrigins)) return { status: 403, message: 'origin not allowed' };
  if (!offersSubprotocol(facts.protocols)) return { status: 400, message: `unsupported subprotocol: this server speaks ${SUBPROTOCOL}` };
  if (!options.verifyUpgrade) return undefined;
  try {
    const verdict = await withDeadline(options.verifyUpgrade({ request: facts.request }), options.handshakeMs, options.clock);
    if (verdict === TIMED_OUT) return { status: 503, message: 'upgrade verification timed out' };
    if (verdict === false) return { status: 403, message: 'forbidden' };
  } catch (cause) {
    const error = DuplexError.from(cause);
    if (error.code === 'UNAUTHORIZED') return { status: 401, message: error.message };
    if (error.code === 'FORBIDDEN') return { status: 403, message: error.message };
    return { status: 500, message: 'upgrade verification failed' };
  }
  return undefined;
}

/** A refusal as a Fetch `Response` (Bun, Deno, the Fetch handler). */
export function refusalResponse(refusal: UpgradeRefusal): Response {
  return new Response(`${refusal.message}\n`, {
    status: refusal.status,
    statusText: statusText(refusal.status),
    headers: { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
  });
}

/** What {@link refuseFetchUpgrade} reads of a server's state: its `ConnectionHub`. */
export interface FetchUpgradeGate {
  readonly closing: Promise<void> | undefined;
  readonly handshakeMs: number;
  readonly clock: Clock;
  refusal(address: string): string | undefined;
}

/**
 * The checks a Fetch-based runtime (Bun, Deno) runs on a `Request` before upgrading it, in order:
 * a plain request gets 426, a closing server 503, then origin, subprotocol and `verifyUpgrade`
 * ({@link checkUpgrade}), then the connection caps for `address`. Resolves with the response
 * that refuses it, or undefined to upgrade.
 */
export async function refuseFetchUpgrade(
  request: Request,
  address: string,
  gate: FetchUpgradeGate,
  options: Pick<Parameters<typeof checkUpgrade<Request>>[1], 'allowedOrigins' | 'verifyUpgrade'>,
): Promise<Response | undefined> {
  const { headers } = request;
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response(`This is a duplex WebSocket endpoint (${SUBPROTOCOL}).\n`, { status: 426, headers: { 'Content-Type': 'text/plain' } });
  }
  if (gate.closing) return refusalResponse({ status: 503, message: 'server is shutting down' });
  const refusal = await checkUpgrade(
    { request, origin: headers.get('origin'), host: headers.get('host'), protocols: headers.get('sec-websocket-protocol') },
    { allowedOrigins: options.allowedOrigins, verifyUpgrade: options.verifyUpgrade, handshakeMs: gate.handshakeMs, clock: gate.clock },
  );
  if (refusal) return refusalResponse(refusal);
  const overCap = gate.refusal(address);
  return overCap ? refusalResponse({ status: 503, message: overCap }) : undefined;
}
