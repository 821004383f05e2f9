import { applySimpleAnnotations, hasOnlySimpleTypes } from './superjson-deserialize.js';

/**
 * The superjson codec's in-place decode (superjson-deserialize.ts), for every runtime but browsers:
 * `#superjson-in-place` in package.json resolves to this file by default and to
 * superjson-in-place.browser.ts under the `browser` condition (docs/bundle-size.md).
 */

/** Version-1 meta with value annotations of simple types only and no shared references: it can be applied in place. */
export function canDecodeInPlace(meta: unknown): meta is { values: unknown } {
  if (typeof meta !== 'object' || meta === null) return false;
  const { v, values, referentialEqualities } = meta as { v?: unknown; values?: unknown; referentialEqualities?: unknown };
  return v === 1 && referentialEqualities === undefined && hasOnlySimpleTypes(values);
}

/** Applies the annotations to the freshly parsed JSON (see {@link applySimpleAnnotations}). */
export const decodeInPlace: (json: unknown, values: unknown) => unknown = applySimpleAnnotations;
