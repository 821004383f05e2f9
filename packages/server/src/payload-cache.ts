import { Attachments, type Codec } from '@duplex/core';

/** A payload whose binary values travel as attachments of a binary frame: its JSON text and their bytes. */
export interface BinaryPayload {
  text: string;
  attachments: Uint8Array[];
}

/** An encoded payload: JSON text, JSON text with attachments, or undefined (no payload field). */
export type EncodedPayload = string | BinaryPayload | undefined;

interface Entry {
  text: EncodedPayload;
  owner: object;
}

/** Encoding is synchronous, so one collector serves every peer; it is emptied after each payload. */
const collected = new Attachments();

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
export function encodePayload(codec: Codec, value: unknown, owner: object): EncodedPayload {
  if (typeof value !== 'object' || value === null) return stringify(codec.encode(value));
  let perCodec = cache.get(codec);
  if (!perCodec) {
    perCodec = new WeakMap();
    cache.set(codec, perCodec);
  }
  const hit = perCodec.get(value);
  if (hit && hit.owner !== owner) return hit.text;
  const text = encode(codec, value);
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

/** Encodes with attachments: binary values come back beside the text, never inside it. */
function encode(codec: Codec, value: unknown): EncodedPayload {
  let payload: unknown;
  try {
    payload = codec.encode(value, collected);
  } catch (error) {
    collected.take();
    throw error;
  }
  const attachments = collected.take();
  const text = stringify(payload);
  return attachments && text !== undefined ? { text, attachments } : text;
}

function stringify(payload: unknown): string | undefined {
  return payload === undefined ? undefined : JSON.stringify(payload);
}
