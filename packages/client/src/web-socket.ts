/**
 * An event handler property, checked bivariantly (like DOM handlers), so a class whose handlers
 * take a richer event type (the `ws` package's `Event`) still fits.
 */
type Handler<TEvent> = { bivarianceHack(event: TEvent): void }['bivarianceHack'];

/** The part of the WHATWG WebSocket the client uses; browsers, Node 22+ and `ws` all fit it. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  /** Set to `'arraybuffer'` so binary frames arrive as ArrayBuffer (browsers default to Blob, `ws` to Buffer). */
  binaryType?: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Node `ws` only: destroys the socket at once, without waiting for a closing handshake. */
  terminate?(): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/** A WebSocket class: the global one, or `WebSocket` from the `ws` package on Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The WebSocket class to use: the one given, else the global one; throws a clear error if neither. */
export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  if (given) return given;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  throw new TypeError(
    "duplex: no global WebSocket in this runtime (Node < 22). Pass one: createClient({ url, WebSocket }) with `import { WebSocket } from 'ws'`.",
  );
}

/**
 * How the client reaches the server when not over a plain WebSocket: `httpTransport()` or
 * `autoTransport()` from `@duplex/client/http` (a separate entry, so apps that do not use it do not
 * ship it). It supplies the WebSocket-shaped class the connection drives.
 */
export interface ClientTransport {
  readonly kind: 'http' | 'auto';
  /** The class to open links with, given the `WebSocket` option (the real one `auto` tries first). */
  WebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor;
}
