import superjson, { type SuperJSONResult } from 'superjson';
import type { AttachmentReader, Attachments } from './binary-frame.js';
// Resolves to superjson-in-place.ts, or to superjson-in-place.browser.ts for browsers (package.json "imports").
import { canDecodeInPlace, decodeInPlace } from '#superjson-in-place';
import { DECIMAL, MAX_BIGINT_DIGITS } from './superjson-deserialize.js';
// Likewise superjson-serialize.ts, or its plain-data probe superjson-serialize.browser.ts.
import { fastSerialize } from '#superjson-serialize';

export { MAX_BIGINT_DIGITS } from './superjson-deserialize.js';

/**
 * Turns payloads (call inputs, results, subscription data) into JSON-safe values and back. The
 * envelope around them is always plain JSON, so a frame is stringified once, never twice.
 * Client and server agree on the codec by name in the `hello` message.
 */
export interface Codec {
  /** The name announced in `hello`, e.g. `'superjson'`. */
  readonly name: string;
  /**
   * Value → JSON-safe value placed in the envelope. A codec that carries binary values adds each
   * `Uint8Array` to `attachments` and puts the reference it returns in their place; the peer then
   * sends a binary frame. Without `attachments` (or in a codec without binary support) binary
   * values are encoded inline, as the codec always did.
   */
  encode(value: unknown, attachments?: Attachments): unknown;
  /**
   * JSON-safe value from the envelope → value. Throws on a malformed payload. `attachments` reads
   * the references of a payload that came in a binary frame.
   */
  decode(payload: unknown, attachments?: AttachmentReader): unknown;
}

/**
 * Plain JSON: fastest, but `Date` arrives as a string and `Map`/`Set`/`BigInt` do not survive. It
 * carries no binary values: a `Uint8Array` becomes what `JSON.stringify` makes of it, an object of
 * its bytes by index (`{"0":104,"1":105}`), in a text frame.
 */
export const jsonCodec: Codec = {
  name: 'json',
  encode: (value) => value,
  decode: (payload) => payload,
};

function isSuperJsonResult(payload: unknown): payload is SuperJSONResult {
  // `{ json: undefined, meta }` loses its `json` key in JSON, so only the object shape is required.
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload);
}

/** True when `value` holds, anywhere, a decimal string longer than `max` (a huge BigInt to be). */
function hasLongString(value: unknown, max: number): boolean {
  if (typeof value === 'string') return value.length > max && DECIMAL.test(value);
  if (typeof value !== 'object' || value === null) return false;
  for (const child of Array.isArray(value) ? value : Object.values(value)) if (hasLongString(child, max)) return true;
  return false;
}

/** The superjson custom type of a binary value in a binary frame: its JSON is an `AttachmentRef`. */
export const BYTES_TYPE = 'duplex.bytes';

let writing: Attachments | undefined;
let reading: AttachmentReader | undefined;

const bytesTransformer = {
  name: BYTES_TYPE,
  // Only while a peer encodes for a binary-capable link; otherwise superjson's own typed-array rule applies.
  isApplicable: (value: unknown): value is Uint8Array => writing !== undefined && value instanceof Uint8Array,
  serialize: (value: Uint8Array) => (writing as Attachments).add(value),
  deserialize: (ref: unknown): Uint8Array => {
    if (!reading) throw new TypeError('a binary value reference outside a binary frame');
    return reading.take(ref);
  },
};

type Registry = Pick<SuperJSON['customTransformerRegistry'], 'findApplicable' | 'findByName'>;
type SuperJSON = InstanceType<typeof superjson>;

/**
 * superjson plus {@link BYTES_TYPE}. It inherits from the default instance, so classes, symbols
 * and custom types an app registers with `superjson.register*` still apply.
 */
const wire: SuperJSON = Object.create((superjson as unknown as { defaultInstance?: SuperJSON }).defaultInstance ?? new superjson());
const shared: Registry = Object.getPrototypeOf(wire).customTransformerRegistry;
(wire as { customTransformerRegistry: Registry }).customTransformerRegistry = {
  findApplicable: (value) => (bytesTransformer.isApplicable(value) ? bytesTransformer : shared.findApplicable(value)) as never,
  findByName: (name) => (name === BYTES_TYPE ? bytesTransformer : shared.findByName(name)) as never,
};

/** The size of one of superjson's registries (classes, symbols), or Infinity when its shape is not the one known. */
function registered(registry: unknown): number {
  const byValue = (registry as { kv?: { valueToKey?: unknown } } | undefined)?.kv?.valueToKey;
  return byValue instanceof Map ? byValue.size : Number.POSITIVE_INFINITY;
}

/**
 * True while the app has registered no class, symbol or custom type with superjson (it may at
 * any time, through `superjson.register*`): only then is {@link fastSerialize} exact. A few
 * property reads per call; an unknown registry shape (a future superjson) counts as registered.
 */
function noRegistrations(): boolean {
  const custom = (shared as { transfomers?: unknown }).transfomers;
  if (typeof custom !== 'object' || custom === null) return false;
  for (const _ in custom) return false;
  return registered(wire.classRegistry) === 0 && registered(wire.symbolRegistry) === 0;
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
 *
 * Binary: given `attachments`, each `Uint8Array` (a Node `Buffer` too) becomes a reference
 * `[offset, length]` annotated `["custom", "duplex.bytes"]` in `meta`, and its bytes travel raw.
 */
export const superjsonCodec: Codec = {
  name: 'superjson',
  encode: (value, attachments) => {
    if (noRegistrations()) {
      // A bare binary value (a client-stream chunk, a file): superjson's exact output, without its walk.
      if (attachments && value instanceof Uint8Array) return { json: attachments.add(value), meta: { values: [['custom', BYTES_TYPE]], v: 1 } };
      const fast = fastSerialize(value);
      if (fast) return fast;
    }
    writing = attachments;
    try {
      return wire.serialize(value);
    } finally {
      writing = undefined;
    }
  },
  decode: (payload, attachments) => {
    if (!isSuperJsonResult(payload)) throw new TypeError('superjson payload must be an object { json, meta? }');
    const meta: unknown = payload.meta;
    if (meta === undefined) return payload.json;
    if (canDecodeInPlace(meta)) return decodeInPlace(payload.json, meta.values);
    // Only a payload that announces a BigInt pays for the walk.
    if (payload.meta?.values && JSON.stringify(payload.meta.values).includes('"bigint"') && hasLongString(payload.json, MAX_BIGINT_DIGITS)) {
      throw new RangeError(`a BigInt in a superjson payload may have at most ${MAX_BIGINT_DIGITS} digits`);
    }
    reading = attachments;
    try {
      return wire.deserialize({ json: payload.json, meta: payload.meta } as SuperJSONResult);
    } finally {
      reading = undefined;
    }
  },
};

/** The codecs every server understands out of the box, by name. */
export const builtinCodecs: Readonly<Record<string, Codec>> = { superjson: superjsonCodec, json: jsonCodec };
