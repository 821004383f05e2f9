/** The WebSocket subprotocol of this wire format version (`Sec-WebSocket-Protocol`). */
export const SUBPROTOCOL = 'duplex.v1';

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
} as const;

/** One of the {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
