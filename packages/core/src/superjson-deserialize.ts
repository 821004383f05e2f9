/**
 * Applies superjson's value annotations (`meta.values`) in place, for the types superjson's own
 * rules turn back without any registry: `undefined`, `BigInt`, `Date`, `RegExp`, `Set`, `Map`,
 * `NaN`/`±Infinity`/`-0`, `URL`. `superjson.deserialize` first deep-copies the whole JSON value
 * (the JSON came fresh from `JSON.parse`, so nobody else holds it) and spreads a new path array
 * at every annotation; this reads the annotation tree once and touches only annotated values.
 * Paths are parsed and checked exactly as superjson does (`__proto__`, `prototype` and
 * `constructor` are refused).
 */

/**
 * Longest `BigInt` a superjson payload may carry, in characters. Parsing a decimal string into a
 * BigInt is quadratic: one 1 MiB frame of digits costs about 0.3 s of CPU, a 60-fold
 * amplification over parsing the same frame as JSON.
 */
export const MAX_BIGINT_DIGITS = 4096;

/** A decimal string, as `BigInt()` reads it. */
export const DECIMAL = /^\s*[+-]?\d+\s*$/;

const SIMPLE_TYPES: ReadonlySet<unknown> = new Set(['undefined', 'bigint', 'Date', 'regexp', 'set', 'map', 'number', 'URL']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || value === Object.prototype) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when every node of an annotation tree is well formed and names one of the simple types,
 * so the tree can be applied here without superjson's registries.
 */
export function hasOnlySimpleTypes(tree: unknown): boolean {
  if (!tree) return true;
  if (Array.isArray(tree)) {
    const [type, children] = tree as unknown[];
    if (!SIMPLE_TYPES.has(type)) return false;
    if (!children) return true;
    return isPlainObject(children) && hasOnlySimpleTypes(children);
  }
  if (!isPlainObject(tree)) return false;
  for (const key in tree) if (!hasOnlySimpleTypes(tree[key])) return false;
  return true;
}

function untransform(type: string, value: unknown): unknown {
  switch (type) {
    case 'undefined':
      return undefined;
    case 'bigint':
      if (typeof value === 'string' && value.length > MAX_BIGINT_DIGITS && DECIMAL.test(value)) {
        throw new RangeError(`a BigInt in a superjson payload may have at most ${MAX_BIGINT_DIGITS} digits`);
      }
      return BigInt(value as string);
    case 'Date':
      return new Date(value as string);
    case 'regexp': {
      const text = value as string;
      return new RegExp(text.slice(1, text.lastIndexOf('/')), text.slice(text.lastIndexOf('/') + 1));
    }
    case 'set':
      return new Set(value as unknown[]);
    case 'map':
      return new Map(value as Array<[unknown, unknown]>);
    case 'URL':
      return new URL(value as string);
    default:
      return Number(value);
  }
}

/** superjson's `parsePath` for version-1 paths: `.` separates, `\.` and `\\` escape. */
function parsePath(key: string, into: string[]): void {
  if (!key.includes('\\')) {
    for (const segment of key.split('.')) into.push(segment);
    return;
  }
  let segment = '';
  for (let i = 0; i < key.length; i++) {
    const char = key.charAt(i);
    if (char === '\\') {
      const escaped = key.charAt(i + 1);
      if (escaped !== '\\' && escaped !== '.') throw new Error('invalid path');
      segment += escaped;
      i++;
    } else if (char === '.') {
      into.push(segment);
      segment = '';
    } else {
      segment += char;
    }
  }
  into.push(segment);
}

/** Path segments superjson refuses, in the order it checks them. */
const FORBIDDEN_SEGMENTS = ['__proto__', 'prototype', 'constructor'];

// Applying is synchronous and never re-entered: one path buffer and one root serve every call.
const path: string[] = [];
let root: unknown;

/** superjson's `setDeep` with an untransform as the mapper, on JSON values (arrays and plain objects). */
function setAt(type: string): void {
  for (const forbidden of FORBIDDEN_SEGMENTS) {
    if (path.includes(forbidden)) throw new Error(`${forbidden} is not allowed as a property`);
  }
  if (path.length === 0) {
    root = untransform(type, root);
    return;
  }
  let parent: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    // A path through a Map or Set exists only in a hand-made meta: superjson annotates children
    // before their container, and never flattens a path through a transformed value.
    if (parent instanceof Map || parent instanceof Set) throw new TypeError('a superjson path runs through a Map or Set');
    const last = i === path.length - 1;
    if (Array.isArray(parent)) {
      if (last) parent[+key] = untransform(type, parent[+key]);
      else parent = parent[+key];
    } else if (isPlainObject(parent)) {
      if (last) parent[key] = untransform(type, parent[key]);
      else parent = parent[key];
    } else {
      // superjson leaves anything else as it is (the annotation then changes nothing).
      return;
    }
  }
}

function traverse(tree: unknown): void {
  if (!tree) return;
  const depth = path.length;
  if (Array.isArray(tree)) {
    const [type, children] = tree as [string, Record<string, unknown> | undefined];
    if (children) {
      for (const key in children) {
        parsePath(key, path);
        traverse(children[key]);
        path.length = depth;
      }
    }
    setAt(type);
    return;
  }
  const record = tree as Record<string, unknown>;
  for (const key in record) {
    parsePath(key, path);
    traverse(record[key]);
    path.length = depth;
  }
}

/**
 * `superjson.deserialize({ json, meta: { values, v: 1 } }, { inPlace: true })` for a tree that
 * {@link hasOnlySimpleTypes} accepted: `json` is changed in place and returned (or replaced, when
 * the root itself is annotated).
 */
export function applySimpleAnnotations(json: unknown, values: unknown): unknown {
  root = json;
  try {
    traverse(values);
    return root;
  } finally {
    root = undefined;
    path.length = 0;
  }
}
