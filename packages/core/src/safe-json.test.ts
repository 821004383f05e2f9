import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, findUnsafeKey, parseUntrustedJson, UnsafeJsonError } from './safe-json.js';

const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('exceedsJsonDepth', () => {
  it.each([
    [nest(3), 3, false],
    [nest(4), 3, true],
    ['[[1]]', 1, true],
    [nest(70), 64, true],
    [nest(64), 64, false],
    [`{"a":"${'['.repeat(500)}"}`, 8, false], // brackets inside strings do not count
    [`{"a":"\\"${'['.repeat(500)}"}`, 8, false], // nor after an escaped quote
    [`{"a":"\\\\",${'['.repeat(100)}1${']'.repeat(100)}}`, 64, true], // an escaped backslash ends the string
    [`[${'{"a":'.repeat(80)}1${'}'.repeat(80)}]`, 64, true],
  ])('%#', (text, max, expected) => {
    expect(exceedsJsonDepth(text, max)).toBe(expected);
  });
});

describe('findUnsafeKey', () => {
  it.each([
    ['{"a":{"__proto__":{"x":1}}}', '__proto__'],
    ['[1,{"b":[{"__proto__":null}]}]', '__proto__'],
    ['{"constructor":{"prototype":{"x":1}}}', 'constructor.prototype'],
    ['{"\\u005f_proto__":{}}', '__proto__'],
    ['{"constructor":"a string is harmless"}', undefined],
    ['{"text":"__proto__ in a value is harmless"}', undefined],
  ])('%s', (text, expected) => {
    expect(findUnsafeKey(JSON.parse(text))).toBe(expected);
  });
});

describe('parseUntrustedJson', () => {
  it('parses ordinary frames like JSON.parse', () => {
    const text = '{"t":"call","id":1,"kind":"query","path":"a","input":{"json":{"constructor":"x"}}}';
    expect(parseUntrustedJson(text)).toEqual(JSON.parse(text));
  });

  it('refuses deep nesting, forbidden keys and invalid JSON with distinct errors', () => {
    expect(() => parseUntrustedJson(nest(65))).toThrow(UnsafeJsonError);
    expect(() => parseUntrustedJson(nest(9), { maxDepth: 8 })).toThrow(/deeper than 8/);
    expect(() => parseUntrustedJson('{"json":{"__proto__":{"isAdmin":true}}}')).toThrow(/forbidden key "__proto__"/);
    expect(() => parseUntrustedJson('{"x":')).toThrow(SyntaxError);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
