/**
 * One walk that produces exactly what `superjson.serialize` produces for the values most payloads
 * hold (plain objects and arrays, strings, numbers, booleans, null, `undefined`, `Date`, `Map`,
 * `Set`, `BigInt`, `RegExp`, `URL`, `NaN`, `±Infinity`, `-0`), or gives up so the caller can ask
 * superjson. superjson walks every value twice (a type probe through up to 14 rules, then the
 * copy), builds a path array and a result object per node, and copies plain subtrees; this walk
 * shares every subtree that needs no change, copies only the containers above a rich value, and
 * allocates an annotation only where superjson writes one.
 */

/** What {@link fastSerialize} returns: superjson's `{ json, meta? }`, key for key. */
export interface SerializedPayload {
  json: unknown;
  meta?: { values: unknown; v: 1 };
}

/** Returned by the walk when superjson must decide (a class, an Error, bytes, a shared reference…). */
const GIVE_UP: unique symbol = Symbol('give up');

type Annotation = [type: string] | [type: string, inner: Record<string, unknown>];
/** A value's key in its container (undefined for the root). */
type Key = string | number | undefined;

// The walk is synchronous and never re-entered, so one set of buffers serves every call.
/** Annotations of the container being walked, created on the first one. */
let record: Record<string, unknown> | undefined;
/** What becomes `meta.values`: the root's own annotation, or the record of the root container. */
let rootValues: Annotation | Record<string, unknown> | undefined;
/**
 * Every object and BigInt met: superjson annotates any of them met twice (referentialEqualities),
 * NaN included. The first few are kept in an array (a scan of a few entries is cheaper than a
 * hash), then in a set. Both are emptied after each call: nothing of a payload stays reachable.
 */
const few: unknown[] = [];
let fewCount = 0;
let many: Set<unknown> | undefined;
let metNaN = false;
const FEW = 16;

/** True when `value` (an object or a BigInt) was met before in this walk; remembers it. */
function metBefore(value: unknown): boolean {
  if (many) {
    if (many.has(value)) return true;
    many.add(value);
    return false;
  }
  for (let i = 0; i < fewCount; i++) if (few[i] === value) return true;
  if (fewCount < FEW) few[fewCount++] = value;
  else many = new Set([...few, value]);
  return false;
}

function forgetAll(): void {
  for (let i = 0; i < fewCount; i++) few[i] = undefined;
  fewCount = 0;
  many = undefined;
  metNaN = false;
}

function escapeKey(key: Key): string {
  const text = String(key);
  return text.includes('\\') || text.includes('.') ? text.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : text;
}

function annotate(key: Key, type: string, inner?: Record<string, unknown>): void {
  const annotation: Annotation = inner ? [type, inner] : [type];
  if (key === undefined) rootValues = annotation;
  else (record ??= {})[escapeKey(key)] = annotation;
}

/**
 * Moves the annotations of a plain container into its parent's record under `key.` + their own
 * key. Each level has a record of its own, as in superjson, because a record orders integer keys
 * first: `{ "1": …, "0.0": … }` flattens in that order, not in the order the walk met them.
 */
function flatten(key: Key, inner: Record<string, unknown>): void {
  if (key === undefined) {
    rootValues = inner;
    return;
  }
  const prefix = `${escapeKey(key)}.`;
  const target = (record ??= {});
  for (const innerKey in inner) target[prefix + innerKey] = inner[innerKey];
}

function walkNumber(value: number, key: Key): unknown {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  if (Number.isNaN(value)) {
    if (metNaN) return GIVE_UP;
    metNaN = true;
  }
  annotate(key, 'number');
  return Number.isNaN(value) ? 'NaN' : value === Number.POSITIVE_INFINITY ? 'Infinity' : value === Number.NEGATIVE_INFINITY ? '-Infinity' : '-0';
}

function walkObject(value: Record<string, unknown>, key: Key): unknown {
  const outer = record;
  record = undefined;
  let copy: Record<string, unknown> | undefined;
  let failed = false;
  for (const childKey in value) {
    // superjson throws on these keys; it should be the one to say so.
    if (childKey === '__proto__' || childKey === 'constructor' || childKey === 'prototype') {
      failed = true;
      break;
    }
    const item = value[childKey];
    const out = walk(item, childKey);
    if (out === GIVE_UP) {
      failed = true;
      break;
    }
    if (out !== item) (copy ??= { ...value })[childKey] = out;
  }
  const inner = record;
  record = outer;
  if (failed) return GIVE_UP;
  if (inner) flatten(key, inner);
  return copy ?? value;
}

/** An array; `owned` when it is a fresh one (a Map entry) that may be changed in place. */
function walkArray(value: unknown[], key: Key, owned: boolean): unknown {
  const outer = record;
  record = undefined;
  let copy: unknown[] | undefined = owned ? value : undefined;
  let failed = false;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    // A hole: superjson leaves it out of the copy (null in JSON), with no annotation.
    const out = item === undefined && !(i in value) ? GIVE_UP : walk(item, i);
    if (out === GIVE_UP) {
      failed = true;
      break;
    }
    if (out !== item) (copy ??= value.slice())[i] = out;
  }
  const inner = record;
  record = outer;
  if (failed) return GIVE_UP;
  if (inner) flatten(key, inner);
  return copy ?? value;
}

/** A Map or Set: its entries as a fresh array, annotated `[type, record of the entries]`. */
function walkCollection(type: 'map' | 'set', items: unknown[], key: Key): unknown {
  const outer = record;
  record = undefined;
  let failed = false;
  for (let i = 0; i < items.length; i++) {
    // Map entries are fresh [key, value] pairs: walked like arrays, never shared.
    const out = type === 'map' ? walkArray(items[i] as unknown[], i, true) : walk(items[i], i);
    if (out === GIVE_UP) {
      failed = true;
      break;
    }
    items[i] = out;
  }
  const inner = record;
  record = outer;
  if (failed) return GIVE_UP;
  annotate(key, type, inner);
  return items;
}

function walk(value: unknown, key: Key): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return walkNumber(value, key);
    case 'undefined':
      annotate(key, 'undefined');
      return null;
    case 'bigint':
      if (metBefore(value)) return GIVE_UP;
      annotate(key, 'bigint');
      return value.toString();
    case 'object': {
      if (value === null) return null;
      if (metBefore(value)) return GIVE_UP;
      if (Array.isArray(value)) return walkArray(value, key, false);
      const proto: unknown = Object.getPrototypeOf(value);
      if ((proto === Object.prototype || proto === null) && value !== Object.prototype) return walkObject(value as Record<string, unknown>, key);
      if (value instanceof Date) {
        // superjson's test for a valid Date, word for word.
        if (Number.isNaN(Number(value.valueOf()))) return GIVE_UP;
        annotate(key, 'Date');
        return value.toISOString();
      }
      if (value instanceof Map) return walkCollection('map', [...value.entries()], key);
      if (value instanceof Set) return walkCollection('set', [...value.values()], key);
      if (value instanceof RegExp) {
        annotate(key, 'regexp');
        return `${value}`;
      }
      if (typeof URL === 'function' && value instanceof URL) {
        annotate(key, 'URL');
        return value.toString();
      }
      // Errors, typed arrays and bytes, class instances: superjson's rules and registries decide.
      return GIVE_UP;
    }
    default:
      // Symbols and functions.
      return GIVE_UP;
  }
}

/**
 * `superjson.serialize(value)`, computed in one walk, or undefined when the value holds something
 * only superjson itself may decide on: an `Error`, a typed array, a class instance, a symbol or a
 * function, an invalid `Date`, an array hole, a prototype key, or a value met twice (superjson
 * records shared references). Exact only while no app registered classes, symbols or custom
 * types with superjson; the caller checks that.
 */
export function fastSerialize(value: unknown): SerializedPayload | undefined {
  let json: unknown;
  let values: unknown;
  try {
    json = walk(value, undefined);
    values = rootValues;
  } finally {
    record = undefined;
    rootValues = undefined;
    forgetAll();
  }
  if (json === GIVE_UP) return undefined;
  return values === undefined ? { json } : { json, meta: { values, v: 1 } };
}
