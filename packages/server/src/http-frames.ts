import {
  type BinaryFrameError,
  type CallMessage,
  type Codec,
  DuplexError,
  decodeBinaryFrame,
  decodeFrameRecords,
  encodeBinaryFrame,
  encodeFrameRecords,
  FRAMES_MEDIA_TYPE,
  parseBoundedJson,
  type ServerMessage,
} from '@duplex/core';
import { readBinaryMessage } from './read-binary-message.js';

/** One call's answer, with the attachment section of its binary frame when its payload holds bytes. */
export type Answer = { message: ServerMessage; section: Uint8Array | undefined };

/** True when the request's `Accept` names {@link FRAMES_MEDIA_TYPE}: answers holding bytes may then go as binary frames (protocol.md §12.1). */
export function acceptsFrames(request: Request): boolean {
  return request.headers.get('accept')?.includes(FRAMES_MEDIA_TYPE) ?? false;
}

/** True for a POST whose body is frame records (protocol.md §12.1). */
export function isFrames(request: Request): boolean {
  return request.method === 'POST' && (request.headers.get('content-type')?.startsWith(FRAMES_MEDIA_TYPE) ?? false);
}

/**
 * The one record of a subscription sent by POST because its input holds bytes: a binary frame of a
 * `sub` message for `path`, checked as the socket checks one (BAD_REQUEST otherwise).
 * @param codec the request's codec; undefined when unknown (hello then refuses the request)
 */
export function readSubRecord(body: Uint8Array, path: string, codec: Codec | undefined, maxDepth: number): Uint8Array {
  let frames: Uint8Array[];
  try {
    frames = decodeFrameRecords(body);
  } catch (error) {
    return refuse(undefined, (error as BinaryFrameError).message);
  }
  const [frame] = frames;
  if (!frame || frames.length > 1) return refuse(undefined, 'a subscription body holds one frame record');
  if (!codec) return frame;
  const read = readBinaryMessage(frame, codec, maxDepth);
  if (!read.ok) refuse(undefined, read.reason);
  if (read.message.t !== 'sub' || read.message.path !== path) refuse(undefined, `the frame record holds no sub message for ${path}`);
  return frame;
}

function refuse(index: number | undefined, reason: string): never {
  const where = index === undefined ? '' : `call ${index}: `;
  throw new DuplexError({ code: 'BAD_REQUEST', message: `protocol error: ${where}${reason}` });
}

/**
 * The calls of a batch sent as frame records (protocol.md §12.1), checked as the socket checks
 * a binary frame: records cut short, frame headers out of range, JSON that is not a call, and
 * attachment references that do not cover their section exactly are refused with BAD_REQUEST
 * before anything runs. Calls whose frames have attachments are returned with their frames too,
 * which the peer decodes again as it would a socket's (`receiveBinary`).
 * @param codec the request's codec; undefined when unknown (hello then refuses the request)
 */
export function readCallRecords(
  body: Uint8Array,
  codec: Codec | undefined,
  maxDepth: number,
  toCall: (raw: unknown, index: number) => CallMessage,
): { calls: CallMessage[]; binaryFrames: Map<number, Uint8Array> } {
  let frames: Uint8Array[];
  try {
    frames = decodeFrameRecords(body);
  } catch (error) {
    return refuse(undefined, (error as BinaryFrameError).message);
  }
  if (frames.length === 0) refuse(undefined, 'a batch is a non-empty array of calls');
  const calls: CallMessage[] = [];
  const binaryFrames = new Map<number, Uint8Array>();
  for (const [index, frame] of frames.entries()) {
    let split: ReturnType<typeof decodeBinaryFrame>;
    let raw: unknown;
    try {
      split = decodeBinaryFrame(frame);
      raw = parseBoundedJson(split.text, maxDepth);
    } catch (error) {
      return refuse(index, error instanceof SyntaxError ? 'frame is not valid JSON' : (error as Error).message);
    }
    if (typeof raw !== 'object' || raw === null || (raw as { t?: unknown }).t !== 'call') refuse(index, 'a frame record holds one call message');
    const call = toCall(raw, index);
    calls.push(call);
    // A call without input has no bytes; any other goes to the peer as a binary frame (an empty section may stand for empty arrays).
    if (call.input === undefined) continue;
    if (codec) {
      const read = readBinaryMessage(frame, codec, maxDepth);
      if (!read.ok) refuse(index, read.reason);
    }
    binaryFrames.set(call.id, frame);
  }
  return { calls, binaryFrames };
}

/** A response whose messages (one, or a batch's) go as frame records; those with a section carry their bytes. */
export function framesResponse(body: unknown, sections: ReadonlyArray<Uint8Array | undefined>, status: number, headers: Record<string, string>): Response {
  const messages = Array.isArray(body) ? body : [body];
  const frames = messages.map((message, index) => {
    const section = sections[index];
    return encodeBinaryFrame(JSON.stringify(message), section ? [section] : []);
  });
  return new Response(encodeFrameRecords(frames), { status, headers: { ...headers, 'Content-Type': FRAMES_MEDIA_TYPE, Vary: headers.Vary ? `${headers.Vary}, Accept` : 'Accept' } });
}
