import {
  type AttachmentReader,
  DEFAULT_MAX_MESSAGE_BYTES,
  DuplexError,
  type ErrorCode,
  type ServerLimits,
} from '@duplex/core';
import type { BinarySupport } from './binary.js';
import type { ClientPeerOptions } from './client-peer.js';
import { noBinary } from './no-binary.js';
import { Outbox } from './outbox.js';

/** Limits assumed of a server that states none in `ready` (servers before protocol.md §4.2). */
export const UNSTATED_LIMITS: ServerLimits = {
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxCallsInFlight: Number.POSITIVE_INFINITY,
  maxSubscriptions: Number.POSITIVE_INFINITY,
};

/** What calls and subscriptions fail with once the client is closed. */
export function closedError(): DuplexError {
  return new DuplexError({ code: 'CANCELLED', message: 'client is closed' });
}

/** A `DuplexError` a codec threw (bytes without `binary`) as is, else a new one of `code`. */
export function failure(cause: unknown, code: ErrorCode, message: string): DuplexError {
  return cause instanceof DuplexError ? cause : new DuplexError({ code, message, cause });
}

/**
 * What the parts of a {@link ClientPeer} (calls, subscriptions, streams) share: the current link
 * and what its server said in `ready`, the outbox writing to it, the link being drained after a
 * handover, request ids, and turning messages into frames within the size limits.
 */
export class PeerLink {
  /** The current link's number (0: none); every attach gets a new one. */
  id = 0;
  /** The current link's server said `ready`: its limits are known. */
  ready = false;
  /** After `goaway`: new work waits for the next connection instead of going to a draining server. */
  held = false;
  limits: ServerLimits = UNSTATED_LIMITS;
  /** The current link's server keeps a dedupe window (mutations may be sent again). */
  dedupe = false;
  /** The link being drained after a handover: its calls in flight finish there. */
  previous: { id: number; send: (frame: string) => void } | undefined;
  closed = false;
  #nextId = 1;
  readonly outbox: Outbox;
  readonly binary: BinarySupport;

  constructor(readonly options: ClientPeerOptions) {
    this.binary = options.binary ?? noBinary;
    this.outbox = new Outbox(this.binary.split);
  }

  /** A request id for a call, subscription or `auth`, unique across links. */
  newId(): number {
    return this.#nextId++;
  }

  /** A link is attached, its server is ready and not draining. */
  canSend(): boolean {
    return this.ready && !this.held && this.outbox.attached;
  }

  /** No link attached: asks for one (lazy connect). */
  demand(): void {
    if (!this.outbox.attached) this.options.onDemand?.();
  }

  /** A call settled or a subscription ended. */
  settled(): void {
    this.options.onSettle?.();
  }

  /** Encodes an input; its binary values come back as one section, copied (the caller may reuse its buffers). */
  encode(input: unknown): [payload: unknown, bytes: Uint8Array | undefined] {
    return this.binary.encode(this.options.codec, input);
  }

  /** Decodes a message's `data` payload (absent: undefined). */
  decode(message: { data?: unknown }, attachments: AttachmentReader | undefined): unknown {
    return 'data' in message ? this.options.codec.decode(message.data, attachments) : undefined;
  }

  /**
   * A message as the frame to send (binary when it carries `bytes`), or the `PAYLOAD_TOO_LARGE`
   * error when it is over the smaller of this client's `maxMessageBytes` and the server's stated
   * one. Text is measured in UTF-8, encoded only when it could be over.
   */
  frame(message: object, bytes: Uint8Array | undefined, path: string): string | Uint8Array | DuplexError {
    const text = JSON.stringify(message);
    const frame = bytes ? this.binary.frame(text, bytes) : text;
    const own = this.options.maxMessageBytes;
    const server = this.limits.maxMessageBytes;
    const max = own === undefined ? server : Math.min(own, server);
    if (typeof frame === 'string' && frame.length * 3 <= max) return frame;
    const size = typeof frame === 'string' ? new TextEncoder().encode(frame).length : frame.byteLength;
    if (size <= max) return frame;
    const whose = max === own && own < server ? "this client's" : "the server's";
    return new DuplexError({ code: 'PAYLOAD_TOO_LARGE', message: `"${path}" is ${size} bytes, over ${whose} maxMessageBytes of ${max} bytes`, retryable: false });
  }

  /** Writes a frame to `link` if it is still the current one. */
  send(frame: string | Uint8Array, link = this.id): void {
    if (link === this.id) this.outbox.push(frame);
  }

  /** Tells the server holding `id` to stop it, on whichever link it runs. */
  cancel(link: number, id: number): void {
    const text = `{"t":"cancel","id":${id}}`;
    if (link > 0 && link === this.id) this.outbox.push(text);
    else if (link > 0 && link === this.previous?.id) this.sendPrevious(text);
  }

  /** Writes to the link being drained (cancels of what moved away from it). */
  sendPrevious(frame: string): void {
    try {
      this.previous?.send(frame);
    } catch {
      // The old link is closing; its server ends what ran there.
    }
  }
}
