import { type AttachmentReader, type Attachments, DuplexError } from '@duplex/core';
import type { BinarySupport } from './binary.js';

function needsBinary(): never {
  throw new DuplexError({
    code: 'NOT_IMPLEMENTED',
    message: "Uint8Array values need binary frames: createClient({ binary }) with import { binary } from '@duplex/client/binary'",
  });
}

/** Stands in for the attachments of a payload: any binary value in it throws {@link needsBinary}. */
const refuse = { add: needsBinary, take: needsBinary } as unknown as Attachments & AttachmentReader;

/**
 * A client created without `binary`: an input holding a `Uint8Array` fails with `NOT_IMPLEMENTED`
 * before it is sent, and so does a result or event that arrives in a binary frame (its JSON is
 * read only to find the call or subscription it belongs to).
 */
export const noBinary: BinarySupport = {
  encode: (codec, value) => [codec.encode(value, refuse), undefined],
  frame: needsBinary,
  split: needsBinary,
  read: (frame) => ({
    text: new TextDecoder().decode(frame.subarray(4, 4 + new DataView(frame.buffer, frame.byteOffset).getUint32(0))),
    attachments: refuse,
  }),
};
