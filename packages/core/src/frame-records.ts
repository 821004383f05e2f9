/**
 * Binary frames over HTTP (protocol.md §12.1): messages whose payloads hold `Uint8Array` values
 * travel as the binary frames of §2.1. A body of several is a sequence of records, each one frame
 * prefixed by its length; in an SSE event a frame is carried as base64.
 *
 *     [uint32 big-endian L][L bytes: one binary frame] ...
 */
import { BINARY_HEADER_BYTES, BinaryFrameError, concatBytes } from './binary-frame.js';

/** The media type of a body of frame records, in `Content-Type` and (to ask for such answers) `Accept`. */
export const FRAMES_MEDIA_TYPE = 'application/x-duplex-frames';

/** The SSE event type of an event whose `data` is a base64 binary frame. */
export const FRAME_EVENT = 'frame';

/** One body holding `frames` as records, in order. */
export function encodeFrameRecords(frames: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const frame of frames) {
    const length = new Uint8Array(BINARY_HEADER_BYTES);
    new DataView(length.buffer).setUint32(0, frame.byteLength);
    parts.push(length, frame);
  }
  return concatBytes(parts);
}

/**
 * The frames of a body of records (views into `body`, not copies). Throws {@link BinaryFrameError}
 * when a record is cut short; an empty body holds no record.
 */
export function decodeFrameRecords(body: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at < body.byteLength) {
    if (at + BINARY_HEADER_BYTES > body.byteLength) throw new BinaryFrameError('frame record header cut short');
    const end = at + BINARY_HEADER_BYTES + view.getUint32(at);
    if (end > body.byteLength) throw new BinaryFrameError('frame record cut short');
    frames.push(body.subarray(at + BINARY_HEADER_BYTES, end));
    at = end;
  }
  return frames;
}

const CHUNK = 0x8000;

/** Standard base64 (with padding) of `bytes`, with the `btoa` every runtime and browser has. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let at = 0; at < bytes.byteLength; at += CHUNK) binary += String.fromCharCode(...bytes.subarray(at, at + CHUNK));
  return btoa(binary);
}

/** The bytes of standard base64 text; throws {@link BinaryFrameError} when it is not base64. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new BinaryFrameError('frame event is not base64');
  }
  const bytes = new Uint8Array(binary.length);
  for (let at = 0; at < binary.length; at++) bytes[at] = binary.charCodeAt(at);
  return bytes;
}
