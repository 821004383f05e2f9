/**
 * What browsers get for `#superjson-in-place` (package.json): no in-place decode, so every
 * annotated payload goes to `superjson.deserialize`. A browser decodes a few payloads at a time,
 * where the in-place decode saves about 2 µs each, and it would cost every page 0.63 KB gzip
 * (docs/bundle-size.md). Same results either way (codec.test.ts).
 */

/** Never: browsers leave annotated payloads to superjson. */
export function canDecodeInPlace(_meta: unknown): _meta is { values: unknown } {
  return false;
}

/** Not reached (see {@link canDecodeInPlace}). */
export function decodeInPlace(json: unknown, _values: unknown): unknown {
  return json;
}
