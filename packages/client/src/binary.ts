import { type AttachmentReader, Attachments, type Codec, concatBytes, decodeBinaryFrame, encodeBinaryFrame, joinFrames } from '@duplex/core';

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
    return [payload, parts && concatBytes(parts)];
  },
  frame: (text, bytes) => encodeBinaryFrame(text, [bytes]),
  read: decodeBinaryFrame,
  split: joinFrames,
};
