import { describe, expect, it } from 'vitest';
import { jsonCodec, superjsonCodec } from './codec.js';

/** Round-trips through the codec and a real JSON text, as on the wire. */
function wire(codec: typeof jsonCodec, value: unknown): unknown {
  const encoded = codec.encode(value);
  const text = JSON.stringify({ data: encoded });
  const parsed = JSON.parse(text) as { data?: unknown };
  return 'data' in parsed ? codec.decode(parsed.data) : undefined;
}

describe('superjsonCodec', () => {
  const cases: Array<[string, unknown]> = [
    ['string', 'hello'],
    ['number', 42.5],
    ['null', null],
    ['undefined', undefined],
    ['Date', new Date('2024-01-02T03:04:05.678Z')],
    ['Map', new Map<string, unknown>([['a', 1], ['b', new Date(0)]])],
    ['Set', new Set([1, 'two', 3n])],
    ['BigInt', 12345678901234567890n],
    ['nested undefined', { a: undefined, b: [undefined, 1] }],
    ['RegExp', /ab+c/gi],
    ['plain object', { user: { id: 'u1', tags: ['x', 'y'], n: 0 } }],
    ['NaN and Infinity', [Number.NaN, Number.POSITIVE_INFINITY, -0]],
  ];
  it.each(cases)('round-trips %s', (_name, value) => {
    expect(wire(superjsonCodec, value)).toEqual(value);
  });

  it('keeps undefined properties as own keys', () => {
    const out = wire(superjsonCodec, { a: undefined }) as object;
    expect(Object.keys(out)).toEqual(['a']);
  });

  it('rejects a payload that is not an object', () => {
    expect(() => superjsonCodec.decode('x')).toThrow(TypeError);
    expect(() => superjsonCodec.decode([1])).toThrow(TypeError);
  });

  it('does not pollute prototypes through meta paths', () => {
    const hostile = { json: { a: 1 }, meta: { values: { '__proto__.polluted': ['undefined'] } } };
    try {
      superjsonCodec.decode(hostile);
    } catch {
      // refusing is fine; polluting is not
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('jsonCodec', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['object', { a: [1, 'b', null] }, { a: [1, 'b', null] }],
    ['Date becomes an ISO string', new Date(0), '1970-01-01T00:00:00.000Z'],
    ['undefined is absent', undefined, undefined],
    ['undefined properties vanish', { a: undefined, b: 1 }, { b: 1 }],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(wire(jsonCodec, value)).toEqual(expected);
  });

  it('throws on BigInt (the server reports a serialization error)', () => {
    expect(() => JSON.stringify({ data: jsonCodec.encode(1n) })).toThrow(TypeError);
  });
});

describe('superjsonCodec fast path', () => {
  const date = new Date(5);
  const shared = { k: 1 };
  // biome-ignore lint/suspicious/noSparseArray: the codec must keep the hole
  const sparse = [1, , 3];
  const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
  class Point {
    x = 1;
  }
  const cases: Array<[string, unknown]> = [
    ['a string', 'x'],
    ['null', null],
    ['a plain nested object', { a: [1, { b: 'c', d: [true, null] }], e: {} }],
    ['a null-prototype object', nullProto],
    ['undefined', undefined],
    ['a nested undefined', { a: { b: undefined } }],
    ['an array holding undefined', [1, undefined]],
    ['a sparse array', sparse],
    ['NaN', { n: Number.NaN }],
    ['-0', [-0]],
    ['Infinity', Number.NEGATIVE_INFINITY],
    ['a Date deep inside', { a: [{ when: date }] }],
    ['a BigInt', { n: 10n }],
    ['a Map', new Map([[1, 2]])],
    ['a repeated reference', { a: shared, b: shared }],
    ['a class instance', new Point()],
  ];
  it.each(cases)('encodes %s exactly like superjson.serialize', async (_name, value) => {
    const { default: superjson } = await import('superjson');
    expect(JSON.stringify(superjsonCodec.encode(value))).toBe(JSON.stringify(superjson.serialize(value)));
  });

  it('refuses prototype keys like superjson does', () => {
    const hostile = JSON.parse('{"a":{"__proto__":{"x":1}}}') as unknown;
    expect(() => superjsonCodec.encode(hostile)).toThrow(/prototype pollution/);
    expect(() => superjsonCodec.encode({ constructor: 1 })).toThrow(/prototype pollution/);
  });

  it('decodes a meta-less payload to its json without copying', () => {
    const json = { a: [1, 2] };
    expect(superjsonCodec.decode({ json })).toBe(json);
  });
});
