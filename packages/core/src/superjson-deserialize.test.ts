import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { MAX_BIGINT_DIGITS, superjsonCodec } from './codec.js';
import { applySimpleAnnotations, hasOnlySimpleTypes } from './superjson-deserialize.js';

type Payload = Parameters<typeof superjson.deserialize>[0];

/** A fresh copy of a wire payload, as `JSON.parse` hands it to the codec. */
const fresh = (text: string) => JSON.parse(text) as Payload;

/** What superjson makes of the payload: its value, or the message of what it threw. */
function bySuperjson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: superjson.deserialize(fresh(text)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function byCodec(text: string): { value: unknown } | { error: string } {
  try {
    return { value: superjsonCodec.decode(fresh(text)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('superjsonCodec.decode: what superjson.deserialize gives, including for hand-made meta', () => {
  const payloads: Array<[string, string]> = [
    ['a Date at the root', '{"json":"2026-12-03T12:00:00.000Z","meta":{"values":["Date"],"v":1}}'],
    ['the bench payload', '{"json":{"at":"2026-12-03T12:00:00.000Z","counts":[["a",1],["b",2]],"n":3},"meta":{"values":{"at":["Date"],"counts":["map"]},"v":1}}'],
    ['a Map holding a Date', '{"json":{"m":[["k","1970-01-01T00:00:00.000Z"]]},"meta":{"values":{"m":["map",{"0.1":["Date"]}]},"v":1}}'],
    ['a Set of BigInts', '{"json":["1","-2"],"meta":{"values":["set",{"0":["bigint"],"1":["bigint"]}],"v":1}}'],
    ['undefined, NaN, -0, Infinity', '{"json":[null,"NaN","-0","Infinity"],"meta":{"values":{"0":["undefined"],"1":["number"],"2":["number"],"3":["number"]},"v":1}}'],
    ['a RegExp and a URL', '{"json":{"r":"/a\\\\/b/gi","u":"https://example.com/x"},"meta":{"values":{"r":["regexp"],"u":["URL"]},"v":1}}'],
    ['escaped keys', '{"json":{"a.b":{"c\\\\d":"1"}},"meta":{"values":{"a\\\\.b.c\\\\\\\\d":["bigint"]},"v":1}}'],
    ['an empty values record', '{"json":{"a":1},"meta":{"values":{},"v":1}}'],
    ['a path into nothing (ignored)', '{"json":{"a":1},"meta":{"values":{"b.c.d":["Date"],"a.b":["Date"]},"v":1}}'],
    ['a null annotation (skipped)', '{"json":{"a":"1"},"meta":{"values":{"a":null},"v":1}}'],
    ['an Error (superjson decodes it)', '{"json":{"e":{"name":"Error","message":"boom"}},"meta":{"values":{"e":["Error"]},"v":1}}'],
    ['shared references (superjson decodes them)', '{"json":{"a":{"k":1},"b":{"k":1}},"meta":{"referentialEqualities":{"a":["b"]},"v":1}}'],
    ['legacy version-0 paths (superjson decodes them)', '{"json":{"a.b":"1"},"meta":{"values":{"a\\\\.b":["bigint"]}}}'],
    ['an unknown type', '{"json":{"a":1},"meta":{"values":{"a":["Nope"]},"v":1}}'],
    ['a __proto__ path', '{"json":{"a":1},"meta":{"values":{"__proto__.polluted":["undefined"]},"v":1}}'],
    ['a constructor.prototype path', '{"json":{"a":1},"meta":{"values":{"a.constructor.prototype.polluted":["Date"]},"v":1}}'],
    ['a prototype segment in children', '{"json":[{"a":1}],"meta":{"values":["set",{"0.prototype":["Date"]}],"v":1}}'],
    ['an invalid escape', '{"json":{"a":1},"meta":{"values":{"a\\\\x":["Date"]},"v":1}}'],
    ['a bad BigInt', '{"json":"12x","meta":{"values":["bigint"],"v":1}}'],
    ['a Map that is not a list of pairs', '{"json":{"m":5},"meta":{"values":{"m":["map"]},"v":1}}'],
  ];

  it.each(payloads)('%s', (_name, text) => {
    expect(byCodec(text)).toEqual(bySuperjson(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('changes the parsed JSON in place instead of copying it', () => {
    const payload = fresh('{"json":{"at":"2026-12-03T12:00:00.000Z","tags":["a"]},"meta":{"values":{"at":["Date"]},"v":1}}');
    const json = payload.json as { at: unknown; tags: string[] };
    const tags = json.tags;
    const out = superjsonCodec.decode(payload) as typeof json;
    expect(out).toBe(json);
    expect(out.tags).toBe(tags);
    expect(out.at).toEqual(new Date('2026-12-03T12:00:00.000Z'));
  });

  it(`refuses a BigInt of more than ${MAX_BIGINT_DIGITS} digits before parsing it`, () => {
    const text = `{"json":{"n":"${'9'.repeat(MAX_BIGINT_DIGITS + 1)}"},"meta":{"values":{"n":["bigint"]},"v":1}}`;
    expect(() => superjsonCodec.decode(fresh(text))).toThrow(RangeError);
    const ok = `{"json":{"n":"${'9'.repeat(MAX_BIGINT_DIGITS)}"},"meta":{"values":{"n":["bigint"]},"v":1}}`;
    expect(superjsonCodec.decode(fresh(ok))).toEqual({ n: BigInt('9'.repeat(MAX_BIGINT_DIGITS)) });
  });

  it('refuses a hand-made path that runs through a Map it already built', () => {
    const json = { m: [['k', { d: '1970-01-01T00:00:00.000Z' }]] };
    expect(() => applySimpleAnnotations(json, { m: ['map'], 'm.0.1.d': ['Date'] })).toThrow(TypeError);
  });
});

describe('hasOnlySimpleTypes', () => {
  it.each([
    [['Date'], true],
    [{ a: ['map', { '0.1': ['bigint'] }] }, true],
    [{ a: null }, true],
    [{ a: ['Error'] }, false],
    [{ a: [['custom', 'duplex.bytes']] }, false],
    [{ a: ['set', 'x'] }, false],
    ['Date', false],
  ])('%j → %s', (tree, expected) => {
    expect(hasOnlySimpleTypes(tree)).toBe(expected);
  });
});
