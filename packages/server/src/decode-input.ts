import type { AttachmentReader, Codec } from '@duplex/core';
import { DecodedInput } from './active-entry.js';

/**
 * How many more values than its JSON holds a superjson input may expand to when its shared
 * references (`meta.referentialEqualities`) are followed as a tree. A 2 KB payload can otherwise
 * describe 2^30 paths (each level referencing the next one twice), which any code that walks the
 * value as a tree (`JSON.stringify` in a logging middleware, a recursive schema, a deep clone)
 * turns into a hang. Checked on the server only: clients trust their server.
 */
export const MAX_SHARED_EXPANSION = 100_000;

/** Counts values in `value` walked as a tree, true once `budget.left` runs out. */
function expandsBeyond(value: unknown, budget: { left: number }, ancestors: Set<object>): boolean {
  if (--budget.left < 0) return true;
  // A cycle ends a tree walk (JSON.stringify throws on it at once; walkers with a seen-set stop).
  if (typeof value !== 'object' || value === null || ancestors.has(value)) return false;
  ancestors.add(value);
  const children: Iterable<unknown> =
    value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? value : Array.isArray(value) ? value : Object.values(value);
  for (const child of children) if (expandsBeyond(child, budget, ancestors)) return true;
  ancestors.delete(value);
  return false;
}

/** Values in a JSON value (each object, array and primitive counts one). */
function countValues(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 1;
  let count = 1;
  for (const child of Array.isArray(value) ? value : Object.values(value)) count += countValues(child);
  return count;
}

function hasSharedReferences(payload: unknown): payload is { json?: unknown } {
  const meta = (payload as { meta?: { referentialEqualities?: unknown } } | null)?.meta;
  return typeof meta === 'object' && meta !== null && meta.referentialEqualities !== undefined;
}

/**
 * Decodes a call or subscription input with the connection's codec. Throws when the payload is
 * malformed or, for superjson, expands past {@link MAX_SHARED_EXPANSION} through shared references.
 * `attachments` reads the binary values of an input that came in a binary frame.
 */
export function decodeInput(codec: Codec, payload: unknown, attachments?: AttachmentReader): unknown {
  const value = codec.decode(payload, attachments);
  // Only a superjson payload with shared references can expand; the walk stops at the budget.
  if (codec.name === 'superjson' && hasSharedReferences(payload)) {
    const budget = { left: countValues(payload.json) + MAX_SHARED_EXPANSION };
    if (expandsBeyond(value, budget, new Set())) {
      throw new RangeError(`an input may expand to at most ${MAX_SHARED_EXPANSION} more values through shared references`);
    }
  }
  return value;
}

/**
 * A payload as it reached the peer: already decoded where its binary frame was read
 * ({@link DecodedInput}), or wire JSON to decode now. Throws when it cannot be decoded.
 */
export function decodePayload(codec: Codec, payload: unknown): unknown {
  if (payload instanceof DecodedInput) {
    if (payload.failed) throw new TypeError('payload could not be decoded');
    return payload.value;
  }
  return payload === undefined ? undefined : decodeInput(codec, payload);
}
