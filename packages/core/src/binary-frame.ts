/**
 * Binary frames (protocol.md §2): one message whose payload holds `Uint8Array` values, which travel
 * raw after the message's JSON instead of inside it.
 *
 *     [uint32 big-endian N][N bytes: UTF-8 JSON of one message][attachment section]
 *
 * Inside the payload each binary value is a reference `[offset, length]` into the attachment
 * section. The codec marks which JSON values are references (superjson: the custom type
 * {@link BYTES_TYPE} in `meta`), so user data is never mistaken for one.
 */

/** Bytes before the JSON text of a binary frame: its length as a uint32, big-endian. */
export const BINARY_HEADER_BYTES = 4;

/** A reference to an attachment: `[offset, length]` into the frame's attachment section. */
export type AttachmentRef = [offset: number, length: number];

/** A binary frame that breaks the rules of protocol.md §2; the receiver answers a protocol error. */
export class BinaryFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinaryFrameError';
  }
}

/**
 * Collects the binary values met while a payload is encoded, in order; each gets the reference of
 * where it will sit in the attachment section. A peer reuses one and empties it with `take()`.
 */
export class Attachments {
  /** The values collected so far. */
  parts: Uint8Array[] = [];
  /** Their total length in bytes. */
  byteLength = 0;

  /** Appends `bytes` and returns its reference. */
  add(bytes: Uint8Array): AttachmentRef {
    const ref: AttachmentRef = [this.byteLength, bytes.byteLength];
    this.parts.push(bytes);
    this.byteLength += bytes.byteLength;
    return ref;
  }

  /** The values collected since the last call, or undefined when there were none. */
  take(): Uint8Array[] | undefined {
    if (this.parts.length === 0) return undefined;
    const parts = this.parts;
    this.parts = [];
    this.byteLength = 0;
    return parts;
  }
}

/**
 * Resolves the references of one received binary frame. Identical references give the same
 * `Uint8Array` (superjson repeats the reference of a value that occurs twice); distinct ones must
 * not overlap and, checked by {@link checkAttachments}, must cover the section exactly. A value
 * never shares memory with another message: it is a copy with its own `ArrayBuffer`, or, when it
 * is the only value of a frame that has its buffer to itself, a view into that frame. No byte is
 * copied twice.
 */
export class AttachmentReader {
  /** The distinct references taken, by `"offset,length"`, with their values. */
  readonly taken = new Map<string, Uint8Array>();
  private bytes = 0;

  /**
   * @param section the frame's attachment section
   * @param ownFrame the frame has its `ArrayBuffer` to itself (no other message shares it)
   */
  constructor(
    readonly section: Uint8Array,
    private readonly ownFrame = false,
  ) {}

  /** The value `ref` points at; throws {@link BinaryFrameError} for a malformed or overlapping one. */
  take(ref: unknown): Uint8Array {
    const [offset, length] = Array.isArray(ref) && ref.length === 2 ? (ref as unknown[]) : [];
    if (!isIndex(offset) || !isIndex(length) || offset + length > this.section.byteLength) {
      throw new BinaryFrameError('attachment reference out of range');
    }
    const key = `${offset},${length}`;
    let value = this.taken.get(key);
    if (value) return value;
    // Distinct references cover the section at most once: more bytes means two of them overlap.
    if ((this.bytes += length) > this.section.byteLength) throw new BinaryFrameError('attachment references overlap');
    if (this.ownFrame && offset === 0 && length === this.section.byteLength) {
      // The only value of a frame that has its buffer to itself: a view, since that buffer holds
      // nothing but this message (its header and JSON in front of the value). Copying a 64 KiB
      // upload chunk on the receiving side cost the upload bench 10 %.
      value = new Uint8Array(this.section.buffer, this.section.byteOffset, length);
    } else {
      // A plain copy, not the section's slice(): on Node the section is often a Buffer, whose
      // slice() is a view (and whose species makes Buffers); a view would pin the whole socket
      // read the frame came in, other messages included, and show their bytes through `.buffer`.
      value = new Uint8Array(length);
      value.set(this.section.subarray(offset, offset + length));
    }
    this.taken.set(key, value);
    return value;
  }
}

/**
 * Throws {@link BinaryFrameError} unless the references `reader` gave out cover its attachment
 * section exactly: no gap, no overlap, no unreferenced byte.
 */
export function checkAttachments(reader: AttachmentReader): void {
  const refs = [...reader.taken.keys()].map((key) => key.split(',').map(Number) as AttachmentRef);
  refs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let end = 0;
  for (const [offset, length] of refs) {
    if (offset !== end) throw new BinaryFrameError(offset < end ? 'attachment references overlap' : 'attachment bytes not referenced');
    end += length;
  }
  if (end !== reader.section.byteLength) throw new BinaryFrameError('attachment bytes not referenced');
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

/** The bytes of `parts` one after the other, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Builds a binary frame from a message's JSON text and its attachments, in reference order. */
export function encodeBinaryFrame(text: string, attachments: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const json = (encoder ??= new TextEncoder()).encode(text);
  const header = new Uint8Array(BINARY_HEADER_BYTES);
  new DataView(header.buffer).setUint32(0, json.byteLength);
  return concatBytes([header, json, ...attachments]);
}

/**
 * Splits a binary frame into its JSON text and a reader of its attachment section. Throws
 * {@link BinaryFrameError} when the header does not fit or the JSON part is not UTF-8.
 */
export function decodeBinaryFrame(frame: Uint8Array): { text: string; attachments: AttachmentReader } {
  const end = frame.byteLength < BINARY_HEADER_BYTES ? Infinity : BINARY_HEADER_BYTES + new DataView(frame.buffer, frame.byteOffset).getUint32(0);
  if (end > frame.byteLength) throw new BinaryFrameError('binary frame header out of range');
  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text, so JSON.parse refuses it as it does in a text frame.
    text = (decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })).decode(frame.subarray(BINARY_HEADER_BYTES, end));
  } catch {
    throw new BinaryFrameError('binary frame JSON is not UTF-8');
  }
  const ownFrame = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength;
  return { text, attachments: new AttachmentReader(frame.subarray(end), ownFrame) };
}
