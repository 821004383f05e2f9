import { type AttachmentReader, Attachments, BINARY_HEADER_BYTES, type Codec, concatBytes, decodeBinaryFrame, encodeBinaryFrame, joinFrames } from '@duplex/core';

/** How a client carries `Uint8Array` values: {@link binary}, or the default that refuses them. */
export interface BinarySupport {
  /** Encodes a payload; its binary values come back as one attachment section, copied (the caller may reuse its buffers). */
  encode(codec: Codec, value: unknown): [payload: unknown, bytes: Uint8Array | undefined];
  /** The binary frame of one message's JSON text and its attachment section (protocol.md §2.1). */
  frame(text: string, bytes: Uint8Array): Uint8Array;
  /** Splits a received binary frame into its JSON text and a reader of its attachments. */
  read(frame: Uint8Array): { text: string; attachments: AttachmentReader };
  /** Turns a batch of message texts and binary frames into frames, in order (`joinFrames`). */
  split(items: Array<string | Uint8Array>): Array<string | Uint8Array>;
}

/**
 * Bytes left free in front of an attachment section made by `encode`, where `frame` writes the
 * frame's header and JSON: the section is then copied once (when the call or item is encoded),
 * not a second time into the frame. 256 bytes hold the envelope of a client-stream item or a
 * typical call; a longer one falls back to building the frame by copying.
 */
const HEADROOM = 256;

/** Sections made by `encode`, whose headroom `frame` may write (never a caller's bytes). */
const sections = new WeakSet<Uint8Array>();

let encoder: TextEncoder | undefined;

/**
 * Binary frames for `Uint8Array` values (and Node `Buffer`s) in inputs, results and events: their
 * bytes travel raw beside the message's JSON. Opt-in, so apps that send no bytes do not ship it.
 * @example
 * import { binary } from '@duplex/client/binary';
 * const client = createClient<AppRouter>({ url, binary });
 */
export const binary: BinarySupport = {
  encode(codec, value) {
    const attachments = new Attachments();
    const payload = codec.encode(value, attachments);
    const parts = attachments.take();
    if (!parts) return [payload, undefined];
    const bytes = concatBytes([new Uint8Array(HEADROOM), ...parts]).subarray(HEADROOM);
    sections.add(bytes);
    return [payload, bytes];
  },
  frame(text, bytes) {
    // A section made by `encode`: the header and JSON go into its headroom, so it is not copied again.
    const json = (encoder ??= new TextEncoder()).encode(text);
    const start = HEADROOM - BINARY_HEADER_BYTES - json.byteLength;
    if (!sections.has(bytes) || start < 0) return encodeBinaryFrame(text, [bytes]);
    new DataView(bytes.buffer).setUint32(start, json.byteLength);
    const frame = new Uint8Array(bytes.buffer, start, BINARY_HEADER_BYTES + json.byteLength + bytes.byteLength);
    frame.set(json, BINARY_HEADER_BYTES);
    return frame;
  },
  read: decodeBinaryFrame,
  split: joinFrames,
};
