import { type ClientMessage, DuplexError, decodeBinaryFrame, type ErrorShape, type ServerMessage } from '@duplex/core';
import { codeOfClose } from './http-status.js';
import { ServerPeer, type ServerTransport, type SharedPeerOptions } from './server-peer.js';

/** What a request-scoped peer reports: each message it sends, and its close. */
export interface RequestPeerEvents {
  /** `section` is the attachment section of a message sent in a binary frame (its payload holds bytes). */
  message(message: ServerMessage, section?: Uint8Array): void;
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
    /** The client reads binary frames (protocol.md §12.1); without it a payload holding bytes ends the request. */
    private readonly frames = false,
  ) {
    this.peer = new ServerPeer(options, { connectionId, transport: this });
  }

  /**
   * Feeds the peer `hello` followed by `messages`, in one frame (processed in order), then the
   * binary frames of calls whose inputs hold bytes (checked by the caller with `readBinaryMessage`).
   */
  start(hello: ClientMessage, messages: readonly ClientMessage[], binaryFrames: readonly Uint8Array[] = []): void {
    this.peer.receive(JSON.stringify([hello, ...messages]));
    for (const frame of binaryFrames) this.peer.receiveBinary(frame);
  }

  /** Lets an SSE stream hold subscriptions back while its reader is slow. */
  setBackpressure(whenWritable: () => Promise<void> | undefined): void {
    this.writable = whenWritable;
  }

  send(frame: string | Uint8Array): void {
    if (this.ended) return;
    if (typeof frame !== 'string') {
      // A payload holding bytes travels in a binary frame, which only a client that asked for frames reads.
      if (!this.frames) return this.close(1011, "binary payloads need a client that accepts binary frames (createClient({ binary }))");
      const { text, attachments } = decodeBinaryFrame(frame);
      return this.events.message(JSON.parse(text) as ServerMessage, attachments.section);
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
