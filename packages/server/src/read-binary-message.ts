import {
  BinaryFrameError,
  type ClientMessage,
  type Codec,
  checkAttachments,
  decodeBinaryFrame,
  findUnsafeKey,
  mayContainUnsafeKey,
  type ParseResult,
  parseBoundedJson,
  parseClientMessage,
} from '@duplex/core';
import { DecodedInput } from './active-entry.js';
import { decodeInput } from './decode-input.js';

/**
 * Reads one incoming binary frame (protocol.md §2.1): a `call` or `sub` whose input, or a client
 * stream's `data` whose item, holds binary values. The payload is decoded here, against the
 * frame's attachments, and put back on the message as a {@link DecodedInput}, so a frame whose
 * references do not match its attachments is refused like any malformed frame. A payload the codec
 * cannot decode is carried as a failed DecodedInput and refused where the call starts (it names
 * an id to answer on). Never throws.
 */
export function readBinaryMessage(frame: Uint8Array, codec: Codec, maxJsonDepth: number): ParseResult<ClientMessage> {
  let split: ReturnType<typeof decodeBinaryFrame>;
  let decoded: unknown;
  try {
    split = decodeBinaryFrame(frame);
    decoded = parseBoundedJson(split.text, maxJsonDepth);
  } catch (error) {
    return { ok: false, id: null, reason: error instanceof SyntaxError ? 'frame is not valid JSON' : (error as Error).message };
  }
  const parsed = parseClientMessage(decoded);
  if (!parsed.ok) return parsed;
  const message = parsed.message;
  const id = 'id' in message ? message.id : null;
  const payload = message.t === 'data' ? message.data : message.t === 'call' || message.t === 'sub' ? message.input : undefined;
  if (payload === undefined || (message.t !== 'call' && message.t !== 'sub' && message.t !== 'data')) {
    return { ok: false, id, reason: 'a binary frame must carry one call, sub or data message with a payload' };
  }
  const unsafeKey = mayContainUnsafeKey(split.text) ? findUnsafeKey(decoded) : undefined;
  if (unsafeKey !== undefined) return { ok: false, id, reason: `forbidden key "${unsafeKey}"` };
  let value: DecodedInput;
  try {
    value = new DecodedInput(decodeInput(codec, payload, split.attachments));
    checkAttachments(split.attachments);
  } catch (error) {
    if (error instanceof BinaryFrameError) return { ok: false, id, reason: `binary frame: ${error.message}` };
    value = new DecodedInput(undefined, true);
  }
  if (message.t === 'data') message.data = value;
  else message.input = value;
  return { ok: true, message };
}
