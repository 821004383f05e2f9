import { type Attachments, type Codec, superjsonCodec } from '@duplex/core';
import { describe, expect, it } from 'vitest';
import { encodePayload } from './payload-cache.js';

function countingCodec(): Codec & { calls: number } {
  const codec = {
    name: 'counting',
    calls: 0,
    encode(value: unknown, attachments?: Attachments) {
      codec.calls++;
      return superjsonCodec.encode(value, attachments);
    },
    decode: superjsonCodec.decode,
  };
  return codec;
}

describe('encodePayload', () => {
  it('encodes one object once for many subscriptions in the same turn', () => {
    const codec = countingCodec();
    const event = { text: 'hi', at: new Date(0) };
    const texts = Array.from({ length: 100 }, () => encodePayload(codec, event, {}));
    expect(codec.calls).toBe(1);
    expect(new Set(texts).size).toBe(1);
    expect(JSON.parse(texts[0] as string)).toEqual(JSON.parse(JSON.stringify(superjsonCodec.encode(event))));
  });

  it('encodes an event holding bytes once, its bytes beside the text, never inside it', () => {
    const codec = countingCodec();
    const event = { name: 'a', file: new Uint8Array([1, 2, 3]) };
    const payloads = Array.from({ length: 10 }, () => encodePayload(codec, event, {}));
    expect(codec.calls).toBe(1);
    expect(new Set(payloads).size).toBe(1);
    expect(payloads[0]).toEqual({
      text: '{"json":{"name":"a","file":[0,3]},"meta":{"values":{"file":[["custom","duplex.bytes"]]},"v":1}}',
      attachments: [event.file],
    });
    // The shared collector is empty again: the next payload carries nothing of this one.
    expect(encodePayload(codec, { n: 1 }, {})).toBe('{"json":{"n":1}}');
  });

  it('re-encodes when the same subscription yields the same object again (it may have changed)', () => {
    const codec = countingCodec();
    const owner = {};
    const state = { n: 1 };
    const first = encodePayload(codec, state, owner);
    state.n = 2;
    const second = encodePayload(codec, state, owner);
    expect(first).toBe('{"json":{"n":1}}');
    expect(second).toBe('{"json":{"n":2}}');
  });

  it('forgets everything at the end of the turn', async () => {
    const codec = countingCodec();
    const event = { a: 1 };
    encodePayload(codec, event, {});
    await new Promise<void>((resolve) => setImmediate(resolve));
    encodePayload(codec, event, {});
    expect(codec.calls).toBe(2);
  });

  it('returns undefined for an absent payload and text for primitives', () => {
    const json: Codec = { name: 'json', encode: (v) => v, decode: (v) => v };
    expect(encodePayload(json, undefined, {})).toBeUndefined();
    expect(encodePayload(json, 'x', {})).toBe('"x"');
  });
});
