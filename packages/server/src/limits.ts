import { DEFAULT_MAX_JSON_DEPTH } from '@duplex/core';

/** Per-connection limits a {@link ServerPeer} enforces; see docs/security.md. */
export interface PeerLimitOptions {
  /**
   * Deepest array/object nesting in one frame, envelope included; deeper frames are refused
   * before `JSON.parse` with a `BAD_REQUEST` protocol error.
   * @default 64
   */
  maxJsonDepth?: number | undefined;
  /** Queries and mutations running at once on one connection; more get `TOO_MANY_REQUESTS`. @default 1024 */
  maxCallsInFlight?: number | undefined;
  /** Live subscriptions on one connection; more get `TOO_MANY_REQUESTS`. @default 1024 */
  maxSubscriptions?: number | undefined;
  /**
   * Protocol errors (malformed frames, bad ids, calls refused by a limit) one connection may cause
   * before it is closed with 1008. Application errors (`NOT_FOUND`, failed validation) do not count.
   * @default 100
   */
  maxProtocolErrors?: number | undefined;
}

/** Socket-level limits of {@link createWsServer}; see docs/security.md. */
export interface SocketLimitOptions {
  /**
   * Pending outgoing bytes on one socket above which subscriptions stop pulling events from
   * their generators until the socket drains below half of it (backpressure).
   * @default 1_048_576 (1 MiB)
   */
  highWaterMarkBytes?: number | undefined;
  /**
   * Pending outgoing bytes on one socket past which the client counts as a slow consumer: the
   * connection is closed with 1008 and cut one second later if the close cannot be delivered.
   * @default 8_388_608 (8 MiB)
   */
  maxBufferedBytes?: number | undefined;
  /** Open connections accepted in total; further upgrades get HTTP 503. @default undefined (no limit) */
  maxConnections?: number | undefined;
  /**
   * Open connections accepted per remote IP address (`request.socket.remoteAddress`; behind a
   * proxy that is the proxy's address). Further upgrades get HTTP 503.
   * @default undefined (no limit)
   */
  maxConnectionsPerIp?: number | undefined;
  /**
   * Enables permessage-deflate. Inflated messages are bounded by `maxMessageBytes` too (ws checks
   * the size while inflating and closes with 1009). Off by default: it costs CPU and memory per
   * socket and compressing secrets next to attacker-chosen text leaks them (CRIME/BREACH).
   * @default false
   */
  perMessageDeflate?: boolean | undefined;
}

/** Default of {@link PeerLimitOptions.maxCallsInFlight}. */
export const DEFAULT_MAX_CALLS_IN_FLIGHT = 1024;
/** Default of {@link PeerLimitOptions.maxSubscriptions}. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 1024;
/** Default of {@link PeerLimitOptions.maxProtocolErrors}. */
export const DEFAULT_MAX_PROTOCOL_ERRORS = 100;
/** Default of {@link SocketLimitOptions.highWaterMarkBytes}. */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 1024 * 1024;
/** Default of {@link SocketLimitOptions.maxBufferedBytes}. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/**
 * Longest deadline a `call.timeoutMs` can set (Node's timer limit, 2^31 - 1 ms); a larger value
 * means no server-side deadline instead of Node's silent fallback to 1 ms.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * Messages produced in the same tick leave in one frame until it would pass this many characters;
 * a single larger message travels alone.
 */
export const BATCH_FLUSH_CHARS = 64 * 1024;

/** {@link PeerLimitOptions} with every default filled in. */
export type PeerLimits = Required<{ [TKey in keyof PeerLimitOptions]: number }>;

/** Fills in the defaults of {@link PeerLimitOptions}. */
export function resolvePeerLimits(options: PeerLimitOptions = {}): PeerLimits {
  return {
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    maxCallsInFlight: options.maxCallsInFlight ?? DEFAULT_MAX_CALLS_IN_FLIGHT,
    maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS,
    maxProtocolErrors: options.maxProtocolErrors ?? DEFAULT_MAX_PROTOCOL_ERRORS,
  };
}
