import { DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_MESSAGE_BYTES, type ServerLimits } from '@duplex/core';

/** Per-connection limits a {@link ServerPeer} enforces; see docs/security.md. */
export interface PeerLimitOptions {
  /**
   * Largest accepted frame in bytes (enforced by the socket adapter while reading: `ws` closes
   * with 1009). Stated to clients in `ready`, so the reference client refuses a larger call
   * locally with `PAYLOAD_TOO_LARGE`.
   * @default 1_048_576 (1 MiB)
   */
  maxMessageBytes?: number | undefined;
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
   * Calls with a client stream (protocol.md §7.2) running at once; one more is answered
   * `TOO_MANY_REQUESTS` (retryable). Each holds at most `streamWindow` items of at most
   * `maxMessageBytes` in the server's memory, so this bounds what a connection's unread client
   * streams can hold: 8 × 16 × 1 MiB = 128 MiB with the defaults (lower any of the three for
   * untrusted clients).
   * @default 8
   */
  maxClientStreams?: number | undefined;
  /**
   * Protocol errors (malformed frames, bad ids, calls refused by a limit) one connection may cause
   * before it is closed with 1008. Application errors (`NOT_FOUND`, failed validation) do not count.
   * @default 100
   */
  maxProtocolErrors?: number | undefined;
  /**
   * Calls and subscriptions one connection may start per second (a token bucket holding one
   * second's worth, so bursts up to this size pass). More get `TOO_MANY_REQUESTS` and count as
   * protocol errors. Other messages (cancel, ping) are never limited.
   * @default undefined (no limit)
   */
  maxRequestsPerSecond?: number | undefined;
}

/** Socket-level limits of {@link createWsServer}; see docs/security.md. */
export interface SocketLimitOptions {
  /**
   * Pending outgoing bytes on one socket above which subscriptions stop pulling events from
   * their generators until the socket has written its buffer out (backpressure).
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
/** Default of {@link PeerLimitOptions.maxClientStreams}. */
export const DEFAULT_MAX_CLIENT_STREAMS = 8;
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

/** {@link PeerLimitOptions} with every default filled in (`maxRequestsPerSecond` may stay unset). */
export type PeerLimits = Required<{ [TKey in Exclude<keyof PeerLimitOptions, 'maxRequestsPerSecond'>]: number }> & {
  maxRequestsPerSecond: number | undefined;
};

/** Fills in the defaults of {@link PeerLimitOptions}. */
export function resolvePeerLimits(options: PeerLimitOptions = {}): PeerLimits {
  return {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    maxCallsInFlight: options.maxCallsInFlight ?? DEFAULT_MAX_CALLS_IN_FLIGHT,
    maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS,
    maxClientStreams: options.maxClientStreams ?? DEFAULT_MAX_CLIENT_STREAMS,
    maxProtocolErrors: options.maxProtocolErrors ?? DEFAULT_MAX_PROTOCOL_ERRORS,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
  };
}

/**
 * A token bucket: `take()` is true while the rate allows one more request. Holds one second's
 * worth of tokens; refills continuously from `now()`.
 */
export class RequestBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The part of the limits a client must know to stay inside them (`ready.limits`, protocol.md §4). */
export function advertisedLimits(limits: PeerLimits): ServerLimits {
  const stated: ServerLimits = {
    maxMessageBytes: limits.maxMessageBytes,
    maxCallsInFlight: limits.maxCallsInFlight,
    maxSubscriptions: limits.maxSubscriptions,
    maxClientStreams: limits.maxClientStreams,
  };
  if (limits.maxRequestsPerSecond !== undefined) stated.maxRequestsPerSecond = limits.maxRequestsPerSecond;
  return stated;
}
