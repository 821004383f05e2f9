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

/**
 * superjson, the default: `Date`, `Map`, `Set`, `BigInt`, `undefined`, `RegExp`, `URL` round-trip.
 * Payload shape on the wire: `{ "json"?: …, "meta"?: … }` as produced by `superjson.serialize`.
 * A message without a payload field carries `undefined`, whatever the codec.
 */
export const superjsonCodec: Codec = {
  name: 'superjson',
  encode: (value) => superjson.serialize(value),
  decode: (payload) => {
    if (!isSuperJsonResult(payload)) throw new TypeError('superjson payload must be an object { json, meta? }');
    return superjson.deserialize({ json: payload.json, meta: payload.meta } as SuperJSONResult);
  },
};

/** The codecs every server understands out of the box, by name. */
export const builtinCodecs: Readonly<Record<string, Codec>> = { superjson: superjsonCodec, json: jsonCodec };
