/** Compares two Redis stream ids (`<ms>-<seq>`) numerically: negative, zero or positive. */
export function compareStreamIds(left: string, right: string): number {
  const [leftMs, leftSeq] = split(left);
  const [rightMs, rightSeq] = split(right);
  if (leftMs !== rightMs) return leftMs < rightMs ? -1 : 1;
  if (leftSeq !== rightSeq) return leftSeq < rightSeq ? -1 : 1;
  return 0;
}

function split(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return dash === -1 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}

/** True when `id` has the shape of a stream id, so it can be sent to XRANGE. */
export function isStreamId(id: string): boolean {
  return /^\d{1,20}(-\d{1,20})?$/.test(id);
}

/** One stream entry as RESP2 returns it: `[id, [field, value, …]]`. */
export type StreamEntryReply = [string, string[]];

/** The message field of an entry written by this adapter (field `m`). */
export function entryMessage(entry: StreamEntryReply): string | undefined {
  const fields = entry[1];
  for (let index = 0; index + 1 < fields.length; index += 2) if (fields[index] === 'm') return fields[index + 1];
  return undefined;
}
