import fc from 'fast-check';
import superjson from 'superjson';
import { afterEach, describe, expect, it } from 'vitest';
import { superjsonCodec } from './codec.js';
import { fastSerialize as browserProbe } from './superjson-serialize.browser.js';
import { fastSerialize } from './superjson-serialize.js';

/** The wire text of a payload, as a peer writes it. */
const text = (payload: unknown) => JSON.stringify({ data: payload });

const date = new Date('2026-12-03T12:00:00.000Z');
const shared = { k: 1 };
// biome-ignore lint/suspicious/noSparseArray: a hole must stay a hole
const sparse = [1, , 3];
class Point {
  x = 1;
}
const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

/** [name, value, whether the one-walk path handles it (false: superjson decides)]. */
const table: Array<[string, unknown, boolean]> = [
  ['a string', 'x', true],
  ['null', null, true],
  ['a plain nested object', { a: [1, { b: 'c', d: [true, null] }], e: {} }, true],
  ['a null-prototype object', Object.assign(Object.create(null) as object, { a: 1, d: date }), true],
  ['the bench payload (Date, 10-entry Map, number, string)', { at: date, counts: new Map(Array.from({ length: 10 }, (_, i) => [`key${i}`, i])), total: 45, label: 'b' }, true],
  ['a Date at the root', date, true],
  ['a Date deep inside arrays and objects', { a: [{ when: date }, [date.getTime(), new Date(0)]] }, true],
  ['a Map with rich keys and values', new Map<unknown, unknown>([[new Date(1), new Set([1n])], ['k', { d: new Date(2) }]]), true],
  ['a Map inside a Map', { m: new Map([['outer', new Map([['inner', new Date(3)]])]]) }, true],
  ['a Set of Dates and plain objects', new Set([new Date(4), { a: undefined }]), true],
  ['an empty Map and an empty Set', [new Map(), new Set()], true],
  ['a BigInt', { n: 12345678901234567890n, m: -1n }, true],
  ['undefined at the root', undefined, true],
  ['undefined in objects and arrays', { a: undefined, b: [undefined, 1], c: { d: undefined } }, true],
  ['NaN, ±Infinity and -0', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0], true],
  ['a RegExp', { r: /ab+c\/d/gi }, true],
  ['a URL', { u: new URL('https://example.com/a?b=c#d') }, true],
  ['keys with dots and backslashes', { 'a.b': { 'c\\d': date }, 'e\\.f': undefined, '': 1n }, true],
  ['integer-like keys beside string keys', { b: new Date(1), 10: new Date(2), 2: undefined, a: { 1: 1n, x: [new Date(3), { 0: 2n }] } }, true],
  ['an Error', { e: new Error('boom') }, false],
  ['an Error with a cause', new Error('outer', { cause: new Error('inner') }), false],
  ['a class instance (falls back)', new Point(), false],
  ['a class instance holding a Date', { p: Object.assign(new Point(), { at: date }) }, false],
  ['a repeated reference', { a: shared, b: shared }, false],
  ['a cycle', cyclic, false],
  ['the same BigInt twice', [1n, 1n], false],
  ['NaN twice', { a: Number.NaN, b: Number.NaN }, false],
  ['an invalid Date', { d: new Date(Number.NaN) }, false],
  ['a sparse array', sparse, false],
  ['a typed array', { t: new Float64Array([1.5]) }, false],
  ['a function in an object', { f: () => 1, a: 1 }, false],
  ['a symbol', { s: Symbol('x') }, false],
];

describe('superjsonCodec.encode: byte-identical to superjson.serialize', () => {
  it.each(table)('%s', (_name, value, handled) => {
    expect(text(superjsonCodec.encode(value))).toBe(text(superjson.serialize(value)));
    expect(fastSerialize(value) !== undefined).toBe(handled);
  });

  it.each(table)('%s decodes to what superjson.deserialize gives', (_name, value) => {
    const wire = () => JSON.parse(text(superjson.serialize(value))) as { data: Parameters<typeof superjson.deserialize>[0] };
    expect(superjsonCodec.decode(wire().data)).toEqual(superjson.deserialize(wire().data));
  });

  it('shares plain subtrees and copies only the containers above a rich value', () => {
    const plain = { tags: ['a', 'b'] };
    const value = { plain, rich: { at: date } };
    const out = fastSerialize(value) as { json: { plain: unknown; rich: unknown } };
    expect(out.json).not.toBe(value);
    expect(out.json.plain).toBe(plain);
    expect(out.json.rich).toEqual({ at: date.toISOString() });
    expect(value.rich.at).toBe(date);
    expect(fastSerialize(plain)?.json).toBe(plain);
  });

  it('refuses prototype keys with superjson’s own error', () => {
    const hostile = JSON.parse('{"a":{"__proto__":{"x":1}},"d":"x"}') as Record<string, unknown>;
    hostile.when = date;
    for (const value of [hostile, { constructor: date }, { a: [{ prototype: 1 }] }]) {
      expect(() => superjsonCodec.encode(value)).toThrow(/prototype pollution/);
    }
  });

  it('is unaffected by a failed walk: the next value encodes cleanly', () => {
    expect(() => superjsonCodec.encode({ a: new Map([[date, { constructor: 1 }]]) })).toThrow(/prototype pollution/);
    expect(fastSerialize({ b: date })).toEqual({ json: { b: date.toISOString() }, meta: { values: { b: ['Date'] }, v: 1 } });
  });

  it('matches superjson on random values (Date, Map, Set, BigInt, undefined, null-prototype objects)', () => {
    const value = fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true, withNullPrototype: true, maxDepth: 4 });
    fc.assert(
      fc.property(value, (input) => {
        let expected: string;
        try {
          expected = text(superjson.serialize(input));
        } catch (error) {
          expect(() => superjsonCodec.encode(input)).toThrow((error as Error).message);
          return;
        }
        expect(text(superjsonCodec.encode(input))).toBe(expected);
        const parsed = () => (JSON.parse(expected) as { data: Parameters<typeof superjson.deserialize>[0] }).data;
        expect(superjsonCodec.decode(parsed())).toEqual(superjson.deserialize(parsed()));
      }),
      { numRuns: Number(process.env.RUNS ?? 500) },
    );
  });
});

describe('the browser variant (#superjson-serialize): a plain-data probe', () => {
  const plain = new Set(['a string', 'null', 'a plain nested object']);

  it.each(table)('%s: { json } exactly when superjson leaves it as is, else superjson decides', (name, value) => {
    const probed = browserProbe(value);
    if (probed) expect(text(probed)).toBe(text(superjson.serialize(value)));
    expect(probed !== undefined).toBe(plain.has(name));
  });

  it('takes plain JSON as is, without a copy', () => {
    const value = { a: [1, { b: 'c', d: [true, null, -1.5] }], e: Object.assign(Object.create(null) as object, { f: 'g' }) };
    expect(browserProbe(value)?.json).toBe(value);
  });

  it('leaves -0, array holes, prototype keys, shared references and cycles to superjson', () => {
    const hostile = JSON.parse('{"a":{"__proto__":{"x":1}}}') as unknown;
    for (const value of [[-0], sparse, hostile, { constructor: 1 }, { a: shared, b: shared }, cyclic, Object.prototype]) {
      expect(browserProbe(value)).toBeUndefined();
    }
  });

  it('agrees with superjson on random values', () => {
    const value = fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true, withNullPrototype: true, maxDepth: 4 });
    fc.assert(
      fc.property(value, (input) => {
        const probed = browserProbe(input);
        if (probed) expect(text(probed)).toBe(text(superjson.serialize(input)));
      }),
      { numRuns: Number(process.env.RUNS ?? 500) },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (input) => {
        // JSON data is taken as is unless it holds -0 (superjson annotates it) or a prototype key (superjson throws).
        let expected: ReturnType<typeof superjson.serialize> | undefined;
        try {
          expected = superjson.serialize(input);
        } catch {
          expected = undefined;
        }
        const probed = browserProbe(input);
        expect(probed && text(probed)).toBe(expected?.meta === undefined ? expected && text(expected) : undefined);
      }),
      { numRuns: Number(process.env.RUNS ?? 500) },
    );
  });
});

describe('superjsonCodec.encode with superjson registrations', () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  afterEach(() => {
    // superjson has no unregister: reach the registries the codec checks and empty them.
    const instance = (superjson as unknown as { defaultInstance: { classRegistry: { clear(): void }; customTransformerRegistry: { transfomers: Record<string, unknown> } } }).defaultInstance;
    instance.classRegistry.clear();
    instance.customTransformerRegistry.transfomers = {};
  });

  it('hands every value to superjson while an app-registered class exists', () => {
    superjson.registerClass(Money, { identifier: 'Money' });
    const value = { price: new Money(5), at: date };
    expect(text(superjsonCodec.encode(value))).toBe(text(superjson.serialize(value)));
    expect(text(superjsonCodec.encode(value))).toContain('"class","Money"');
  });

  it('hands every value to superjson while a custom type exists, even one that claims strings', () => {
    superjson.registerCustom<string, string>({ isApplicable: (v): v is string => typeof v === 'string' && v.startsWith('$'), serialize: (v) => v.slice(1), deserialize: (v) => `$${v}` }, 'dollar');
    const value = { a: '$5', b: 'x' };
    expect(text(superjsonCodec.encode(value))).toBe(text(superjson.serialize(value)));
    expect(text(superjsonCodec.encode(value))).toContain('"custom","dollar"');
  });
});
