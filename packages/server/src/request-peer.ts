import { type ClientMessage, DuplexError, type ErrorShape, type ServerMessage } from '@duplex/core';
import { codeOfClose } from './http-status.js';
import { ServerPeer, type ServerTransport, type SharedPeerOptions } from './server-peer.js';

/** What a request-scoped peer reports: each message it sends, and its close. */
export interface RequestPeerEvents {
  message(message: ServerMessage): void;
  /** The peer closed the "connection": createContext refused, a limit, or the server closing. */
  closed(error: ErrorShape): void;
}

/**
 * A {@link ServerPeer} serving one HTTP request, so the HTTP transport shares everything the
 * socket has (context, middleware, validation, limits, error shapes, timeouts) by construction:
 * the handler feeds it `hello` and the request's calls, and reads its answers back as messages.
 */
export class RequestPeer implements ServerTransport {
  readonly peer: ServerPeer;
  private ended = false;
  private writable: (() => Promise<void> | undefined) | undefined;

  constructor(
    options: SharedPeerOptions,
    connectionId: string,
    private readonly events: RequestPeerEvents,
  ) {
    this.peer = new ServerPeer(options, { connectionId, transport: this });
  }

  /** Feeds the peer `hello` followed by `messages`, in one frame (processed in order). */
  start(hello: ClientMessage, messages: readonly ClientMessage[]): void {
    this.peer.receive(JSON.stringify([hello, ...messages]));
  }

  /** Lets an SSE stream hold subscriptions back while its reader is slow. */
  setBackpressure(whenWritable: () => Promise<void> | undefined): void {
    this.writable = whenWritable;
  }

  send(frame: string | Uint8Array): void {
    if (this.ended) return;
    if (typeof frame !== 'string') {
      // A payload holding bytes travels in a binary frame, which HTTP responses here do not carry.
      this.close(1011, 'binary payloads need the WebSocket transport');
      return;
    }
    const parsed: unknown = JSON.parse(frame);
    for (const message of (Array.isArray(parsed) ? parsed : [parsed]) as ServerMessage[]) {
      if (this.ended) return;
      this.events.message(message);
    }
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    const error = new DuplexError({ code: codeOfClose(code), message: reason || 'request refused' });
    this.events.closed({ code: error.code, message: error.message });
    this.peer.dispose();
  }

  whenWritable(): Promise<void> | undefined {
    return this.writable?.();
  }

  /** Ends the request: aborts whatever still runs (the client went away, or everything was answered). */
  dispose(): void {
    this.ended = true;
    this.peer.dispose();
  }
}
