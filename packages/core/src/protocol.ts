/** The WebSocket subprotocol of this wire format version (`Sec-WebSocket-Protocol`). */
export const SUBPROTOCOL = 'duplex.v1';

/** Default largest message, in bytes, on both sides (server `maxMessageBytes`, client `maxMessageBytes`): 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Wire format version carried in `hello.v`. */
export const PROTOCOL_VERSION = 1;

/** WebSocket close codes duplex uses (RFC 6455 §7.4 plus the 4000–4999 private range). */
export const CloseCode = {
  /** Normal closure: `client.close()` or server finished. */
  NORMAL: 1000,
  /** Server shutting down or restarting: reconnect (elsewhere). */
  GOING_AWAY: 1001,
  /** Frames that are not duplex messages beyond repair (e.g. binary garbage before hello). */
  PROTOCOL_ERROR: 1002,
  /** Policy violation: origin refused, limits abused. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than the size limit. */
  MESSAGE_TOO_BIG: 1009,
  /** The server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** Server overloaded: try again later. */
  TRY_AGAIN_LATER: 1013,
  /** `createContext` refused the connection with `UNAUTHORIZED`. Not retried with the same params. */
  UNAUTHORIZED: 4401,
  /** `createContext` refused the connection with `FORBIDDEN`. */
  FORBIDDEN: 4403,
  /** No `hello` arrived within the handshake timeout. */
  HELLO_TIMEOUT: 4408,
  /** `hello` was malformed, repeated, or named an unknown codec / version. */
  BAD_HELLO: 4400,
  /** The client or server detected a dead peer (no pong in time). */
  HEARTBEAT_TIMEOUT: 4000,
  /**
   * The server closed a connection that had no call or subscription for `idleTimeoutMs`. The
   * client reconnects when it next has work, not at once.
   */
  IDLE_TIMEOUT: 4001,
} as const;

/** Longest close reason in UTF-8 bytes: a control frame carries at most 125 bytes, 2 of them the code (RFC 6455 §5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

let encoder: TextEncoder | undefined;

/**
 * Shortens `text` to a valid close reason (at most {@link MAX_CLOSE_REASON_BYTES} UTF-8 bytes).
 * Socket libraries throw on a longer one, and reasons may carry client-chosen text.
 */
export function toCloseReason(text: string): string {
  // Each UTF-16 unit takes at most 3 UTF-8 bytes: 41 units always fit.
  if (text.length <= 41) return text;
  encoder ??= new TextEncoder();
  let out = text.slice(0, MAX_CLOSE_REASON_BYTES);
  while (encoder.encode(out).length > MAX_CLOSE_REASON_BYTES) out = out.slice(0, -1);
  // Never end on half of a surrogate pair.
  const last = out.charCodeAt(out.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? out.slice(0, -1) : out;
}

/** One of the {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
