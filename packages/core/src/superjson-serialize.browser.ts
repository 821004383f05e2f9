/**
 * What browsers get for `#superjson-serialize` (package.json "imports"): instead of the one-walk
 * encode of rich values (superjson-serialize.ts, 2.25 KB minified), a probe that recognises plain
 * JSON data, the payload almost every call carries, and wraps it as `{ json }`, which is exactly
 * what `superjson.serialize` returns for it. Anything else (a `Date`, a `Map`, `undefined`, a value
 * met twice…) goes to superjson, with the same result (superjson-serialize.test.ts checks both
 * variants). A browser encodes a few inputs at a time; superjson's walk costs it microseconds, the
 * full fast path would cost every page about 0.6 KB gzip (docs/bundle-size.md).
 */
import type { SerializedPayload } from './superjson-serialize.js';

/** True when `value` is JSON data that superjson would leave as is; `seen` catches shared references. */
function isPlain(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      // superjson records a shared reference (and a cycle) in `meta`.
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlain(value[i], seen)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if ((proto !== Object.prototype && proto !== null) || value === Object.prototype) return false;
      for (const key in value) {
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') return false;
        if (!isPlain((value as Record<string, unknown>)[key], seen)) return false;
      }
      return true;
    }
    default:
      // undefined, BigInt, symbols and functions: superjson decides.
      return false;
  }
}

/** `{ json: value }` when that is what `superjson.serialize(value)` returns, else undefined. */
export function fastSerialize(value: unknown): SerializedPayload | undefined {
  return isPlain(value, new Set()) ? { json: value } : undefined;
}
