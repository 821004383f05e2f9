import { decodeBinaryFrame, decodeFrameRecords } from '@duplex/core';

/** A message as the HTTP transport received it, with the attachment section of its binary frame when it came in one (protocol.md §12.1). */
export type ReceivedMessage = { message: { t: string; id?: number | null; [field: string]: unknown }; section?: Uint8Array | undefined };

/** A received SSE event's message: a JSON text, or the bytes of a `frame` event. */
export function readEvent(data: string | Uint8Array): ReceivedMessage {
  if (typeof data === 'string') return { message: JSON.parse(data) as ReceivedMessage['message'] };
  return readFrame(data);
}

/** The message of one binary frame, and its attachment section (empty when its bytes are all empty arrays, or it has none). */
export function readFrame(frame: Uint8Array): ReceivedMessage {
  const { text, attachments } = decodeBinaryFrame(frame);
  return { message: JSON.parse(text) as ReceivedMessage['message'], section: attachments.section };
}

/** The messages of a body of frame records. */
export function readFrameRecords(body: Uint8Array): ReceivedMessage[] {
  return decodeFrameRecords(body).map(readFrame);
}
