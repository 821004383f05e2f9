import { decodeBinaryFrame } from '@duplex/core';

/** One message the client under test sent, decoded (a binary frame's attachment section in `binary`). */
export type SentMessage = { t: string; id?: number; binary?: Uint8Array; [key: string]: unknown };

/**
 * An in-memory WebSocket for client unit tests: the test plays the server by calling
 * {@link FakeWebSocket.open}, {@link FakeWebSocket.receive} and {@link FakeWebSocket.serverClose}.
 * Every instance is recorded in {@link FakeWebSocket.instances}.
 */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  /** The newest socket, or a clear error if none was opened. */
  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!socket) throw new Error('no FakeWebSocket was created');
    return socket;
  }
  static reset(): void {
    FakeWebSocket.instances = [];
  }

  readyState = 0;
  protocol = '';
  /** As in browsers, binary frames would arrive as Blob unless the client asks for ArrayBuffer. */
  binaryType = 'blob';
  /** When false, `close()` starts the closing handshake and the peer never answers (dead link). */
  answersClose = true;
  /** Frames as sent: strings (text frames) and bytes (binary frames). */
  readonly frames: Array<string | Uint8Array> = [];
  /** How the client ended it: `close(code)`, `terminate`, or undefined while it has not. */
  endedBy: { how: 'close'; code: number | undefined; reason: string | undefined } | { how: 'terminate' } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeWebSocket.instances.push(this);
  }

  /** Every message sent so far, frames unbatched. */
  get sent(): SentMessage[] {
    return this.frames.flatMap((frame) => {
      if (typeof frame !== 'string') {
        const { text, attachments } = decodeBinaryFrame(frame);
        return [{ ...(JSON.parse(text) as SentMessage), binary: attachments.section }];
      }
      const parsed: unknown = JSON.parse(frame);
      return (Array.isArray(parsed) ? parsed : [parsed]) as SentMessage[];
    });
  }

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('FakeWebSocket is not open');
    this.frames.push(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.endedBy = { how: 'close', code, reason };
    this.readyState = 2;
    if (this.answersClose) queueMicrotask(() => this.finish(code ?? 1005, reason ?? ''));
  }

  terminate(): void {
    if (this.readyState === 3) return;
    this.endedBy = { how: 'terminate' };
    this.finish(1006, '');
  }

  /** Server side: the handshake succeeded. */
  open(): void {
    this.readyState = 1;
    this.protocol = 'duplex.v1';
    this.onopen?.({});
  }

  /** Server side: delivers one frame's raw `data` (a string, ArrayBuffer, Buffer or Blob) as is. */
  receiveData(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** Server side: delivers messages (one frame). */
  receive(...messages: unknown[]): void {
    this.onmessage?.({ data: JSON.stringify(messages.length === 1 ? messages[0] : messages) });
  }

  /** Server side (or network): the socket closed with `code`. Also completes a client `close()`. */
  serverClose(code = 1006, reason = ''): void {
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}
