import { describe, expect, it } from 'vitest';
import { Attachments, checkAttachments, decodeBinaryFrame, encodeBinaryFrame } from './binary-frame.js';
import superjson from 'superjson';
import { BYTES_TYPE, jsonCodec, superjsonCodec } from './codec.js';
import * as browserInPlace from './superjson-in-place.browser.js';
import * as inPlace from './superjson-in-place.js';

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
  it.each(cases)('decodes %s in place (Node) as superjson does (browsers, #superjson-in-place)', (_name, value) => {
    const text = JSON.stringify(superjsonCodec.encode(value) ?? {});
    const payload = JSON.parse(text) as { json: unknown; meta?: { values: unknown } };
    expect(browserInPlace.canDecodeInPlace(payload.meta)).toBe(false);
    const bySuperjson = superjson.deserialize(JSON.parse(text) as Parameters<typeof superjson.deserialize>[0]);
    if (!inPlace.canDecodeInPlace(payload.meta)) return;
    expect(inPlace.decodeInPlace(payload.json, payload.meta.values)).toEqual(bySuperjson);
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

describe('superjsonCodec with attachments (binary frames)', () => {
  /** Encodes into a real binary frame and decodes it back, as the peers do. */
  function binaryWire(value: unknown): { back: unknown; frame: Uint8Array | undefined; text: string } {
    const attachments = new Attachments();
    const payload = superjsonCodec.encode(value, attachments);
    const parts = attachments.take();
    const text = JSON.stringify({ data: payload });
    if (!parts) return { back: superjsonCodec.decode((JSON.parse(text) as { data: unknown }).data), frame: undefined, text };
    const frame = encodeBinaryFrame(text, parts);
    const split = decodeBinaryFrame(frame);
    const back = superjsonCodec.decode((JSON.parse(split.text) as { data: unknown }).data, split.attachments);
    checkAttachments(split.attachments);
    return { back, frame, text: split.text };
  }

  const file = new Uint8Array([104, 105]);
  const cases: Array<[string, unknown]> = [
    ['a bare Uint8Array', file],
    ['an empty Uint8Array', new Uint8Array(0)],
    ['nested in objects and arrays', { a: [{ b: file }], c: new Uint8Array([1, 2, 3]) }],
    ['in a Map and a Set', { m: new Map([['k', file]]), s: new Set([new Uint8Array([9])]) }],
    ['beside Date, BigInt and undefined', { d: new Date(5), n: 10n, u: undefined, f: file }],
    ['several, empty ones between', [new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]), new Uint8Array(0)]],
    ['256 distinct values', Array.from({ length: 256 }, (_, i) => new Uint8Array([i, i]))],
    ['a view into a larger buffer', new Uint8Array([0, 1, 2, 3, 4]).subarray(1, 3)],
  ];
  it('writes a bare Uint8Array (a client-stream chunk) exactly as superjson does, without its walk', () => {
    const attachments = new Attachments();
    attachments.add(new Uint8Array(3)); // an earlier value of the same payload: references are offsets into the section
    expect(JSON.stringify(superjsonCodec.encode(file, attachments))).toBe('{"json":[3,2],"meta":{"values":[["custom","duplex.bytes"]],"v":1}}');
    expect(attachments.take()).toEqual([new Uint8Array(3), file]);
    // Without attachments (no binary link) superjson's own typed-array form applies, as before.
    expect(JSON.stringify(superjsonCodec.encode(file))).not.toContain('duplex.bytes');
  });

  it.each(cases)('round-trips %s with raw bytes outside the JSON', (_name, value) => {
    const { back, frame, text } = binaryWire(value);
    expect(frame).toBeInstanceOf(Uint8Array);
    expect(back).toEqual(value);
    expect(text).toContain('"duplex.bytes"');
  });

  it('returns each value as a plain Uint8Array with its own buffer', () => {
    const { back } = binaryWire({ a: new Uint8Array([1, 2]), b: new Uint8Array([3]) });
    const { a, b } = back as { a: Uint8Array; b: Uint8Array };
    expect(a.constructor).toBe(Uint8Array);
    expect(a.buffer.byteLength).toBe(2);
    expect(b.buffer).not.toBe(a.buffer);
  });

  it('carries a Node Buffer as Uint8Array bytes', () => {
    const { back } = binaryWire({ buf: Buffer.from('héllo') });
    const buf = (back as { buf: Uint8Array }).buf;
    expect(buf).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(buf).toString()).toBe('héllo');
  });

  it('keeps a value that occurs twice one object, sent once', () => {
    const shared = new Uint8Array([7, 7, 7]);
    const { back, frame } = binaryWire({ a: shared, b: shared });
    const out = back as { a: Uint8Array; b: Uint8Array };
    expect(out.a).toBe(out.b);
    expect([...out.a]).toEqual([7, 7, 7]);
    const json = new DataView((frame as Uint8Array).buffer).getUint32(0);
    expect((frame as Uint8Array).byteLength - 4 - json).toBe(3);
  });

  it('leaves plain data exactly as superjson and the fast path make it, with no attachment', async () => {
    const { default: superjson } = await import('superjson');
    for (const value of [{ a: [1, 'b', null] }, 'x', { d: new Date(0), m: new Map([[1, 2]]) }, undefined]) {
      const attachments = new Attachments();
      expect(JSON.stringify(superjsonCodec.encode(value, attachments))).toBe(JSON.stringify(superjson.serialize(value)));
      expect(attachments.take()).toBeUndefined();
    }
  });

  it('without attachments encodes Uint8Array inline, as superjson always did', async () => {
    const { default: superjson } = await import('superjson');
    const value = { f: new Uint8Array([1, 2]) };
    expect(superjsonCodec.encode(value)).toEqual(superjson.serialize(value));
    expect(wire(superjsonCodec, value)).toEqual(value);
  });

  it('refuses a bytes reference that did not come in a binary frame', () => {
    const payload = { json: { f: [0, 2] }, meta: { values: { f: [['custom', BYTES_TYPE]] }, v: 1 } };
    expect(() => superjsonCodec.decode(payload)).toThrow(/outside a binary frame/);
  });

  it('never reads a user array as a reference: only meta marks one', () => {
    const { back } = binaryWire({ ref: [0, 2], f: file });
    expect(back).toEqual({ ref: [0, 2], f: file });
  });

  it('produces the exact bytes of the protocol.md example', () => {
    const attachments = new Attachments();
    const input = superjsonCodec.encode({ name: 'hi.txt', file: new Uint8Array([104, 105]) }, attachments);
    const text = JSON.stringify({ t: 'call', id: 1, kind: 'mutation', path: 'upload', input });
    expect(text).toBe(
      '{"t":"call","id":1,"kind":"mutation","path":"upload","input":{"json":{"name":"hi.txt","file":[0,2]},"meta":{"values":{"file":[["custom","duplex.bytes"]]},"v":1}}}',
    );
    const frame = encodeBinaryFrame(text, attachments.take() ?? []);
    expect([...frame.subarray(0, 4)]).toEqual([0x00, 0x00, 0x00, 0xa2]);
    expect(new TextDecoder().decode(frame.subarray(4, 4 + 0xa2))).toBe(text);
    expect([...frame.subarray(4 + 0xa2)]).toEqual([0x68, 0x69]);
    expect(frame.byteLength).toBe(168);
  });
});

describe('jsonCodec and binary values', () => {
  it('carries no attachment: a Uint8Array becomes what JSON.stringify makes of it (documented)', () => {
    const attachments = new Attachments();
    const payload = jsonCodec.encode({ f: new Uint8Array([104, 105]) }, attachments);
    expect(attachments.take()).toBeUndefined();
    expect(JSON.parse(JSON.stringify(payload))).toEqual({ f: { 0: 104, 1: 105 } });
  });
});
