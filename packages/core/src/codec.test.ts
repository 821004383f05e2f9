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
