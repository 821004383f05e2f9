import type { Codec } from '@duplex/core';

interface Entry {
  text: string | undefined;
  owner: object;
}

let cache = new WeakMap<Codec, WeakMap<object, Entry>>();
let clearScheduled = false;

const nextTurn: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

/**
 * Encodes a payload to JSON text, once per event-loop turn for the same object: when one publish
 * fans out to many subscriptions, the event is serialized once, not once per socket. A hit is
 * only allowed for a different `owner` (subscription), so a generator that mutates and re-yields
 * the same object always sends its current state. The cache lives until the end of the turn.
 */
export function encodePayload(codec: Codec, value: unknown, owner: object): string | undefined {
  if (typeof value !== 'object' || value === null) return stringify(codec.encode(value));
  let perCodec = cache.get(codec);
  if (!perCodec) {
    perCodec = new WeakMap();
    cache.set(codec, perCodec);
  }
  const hit = perCodec.get(value);
  if (hit && hit.owner !== owner) return hit.text;
  const text = stringify(codec.encode(value));
  perCodec.set(value, { text, owner });
  if (!clearScheduled) {
    clearScheduled = true;
    nextTurn(() => {
      cache = new WeakMap();
      clearScheduled = false;
    });
  }
  return text;
}

function stringify(payload: unknown): string | undefined {
  return payload === undefined ? undefined : JSON.stringify(payload);
}
