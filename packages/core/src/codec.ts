import superjson, { type SuperJSONResult } from 'superjson';

/**
 * Turns payloads (call inputs, results, subscription data) into JSON-safe values and back. The
 * envelope around them is always plain JSON, so a frame is stringified once, never twice.
 * Client and server agree on the codec by name in the `hello` message.
 */
export interface Codec {
  /** The name announced in `hello`, e.g. `'superjson'`. */
  readonly name: string;
  /** Value → JSON-safe value placed in the envelope. */
  encode(value: unknown): unknown;
  /** JSON-safe value from the envelope → value. Throws on a malformed payload. */
  decode(payload: unknown): unknown;
}

/** Plain JSON: fastest, but `Date` arrives as a string and `Map`/`Set`/`BigInt` do not survive. */
export const jsonCodec: Codec = {
  name: 'json',
  encode: (value) => value,
  decode: (payload) => payload,
};

function isSuperJsonResult(payload: unknown): payload is SuperJSONResult {
  // `{ json: undefined, meta }` loses its `json` key in JSON, so only the object shape is required.
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload);
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * True when superjson would serialize `value` as `{ json: value }` with no meta: only strings,
 * finite numbers (not -0), booleans, null, arrays without holes or `undefined`, and plain
 * objects, each object reached once (superjson records repeated references in meta).
 */
function isPlainJson(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined || !isPlainJson(item, seen)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        // superjson refuses these keys; let it throw its own error on the slow path
        if (item === undefined || FORBIDDEN_KEYS.has(key) || !isPlainJson(item, seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Longest `BigInt` a superjson payload may carry, in characters. Parsing a decimal string into a
 * BigInt is quadratic: one 1 MiB frame of digits costs about 0.3 s of CPU, a 60-fold
 * amplification over parsing the same frame as JSON.
 */
export const MAX_BIGINT_DIGITS = 4096;

const DECIMAL = /^\s*[+-]?\d+\s*$/;

/** True when `value` holds, anywhere, a decimal string longer than `max` (a huge BigInt to be). */
function hasLongString(value: unknown, max: number): boolean {
  if (typeof value === 'string') return value.length > max && DECIMAL.test(value);
  if (typeof value !== 'object' || value === null) return false;
  for (const child of Array.isArray(value) ? value : Object.values(value)) if (hasLongString(child, max)) return true;
  return false;
}

/**
 * superjson, the default: `Date`, `Map`, `Set`, `BigInt`, `undefined`, `RegExp`, `URL` round-trip.
 * Payload shape on the wire: `{ "json"?: …, "meta"?: … }` as produced by `superjson.serialize`.
 * A message without a payload field carries `undefined`, whatever the codec.
 *
 * Fast path: plain JSON data (no special types, no repeated references) is wrapped as
 * `{ json: value }` without superjson's walk, which is exactly what superjson itself produces
 * for it, only several times faster; anything else goes through superjson. Likewise a payload
 * without `meta` decodes to its `json` as is (it came fresh from `JSON.parse`, no copy needed).
 */
export const superjsonCodec: Codec = {
  name: 'superjson',
  encode: (value) => (isPlainJson(value, new Set()) ? { json: value } : superjson.serialize(value)),
  decode: (payload) => {
    if (!isSuperJsonResult(payload)) throw new TypeError('superjson payload must be an object { json, meta? }');
    if (payload.meta === undefined) return payload.json;
    // Only a payload that announces a BigInt pays for the walk.
    if (payload.meta?.values && JSON.stringify(payload.meta.values).includes('"bigint"') && hasLongString(payload.json, MAX_BIGINT_DIGITS)) {
      throw new RangeError(`a BigInt in a superjson payload may have at most ${MAX_BIGINT_DIGITS} digits`);
    }
    return superjson.deserialize({ json: payload.json, meta: payload.meta } as SuperJSONResult);
  },
};

/** The codecs every server understands out of the box, by name. */
export const builtinCodecs: Readonly<Record<string, Codec>> = { superjson: superjsonCodec, json: jsonCodec };
