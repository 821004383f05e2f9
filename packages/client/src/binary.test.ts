import { type AttachmentReader, decodeBinaryFrame, encodeBinaryFrame, superjsonCodec } from '@duplex/core';
import { describe, expect, it } from 'vitest';
import { binary } from './binary.js';

function bytesOf(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

/** The bytes of a frame (which may be a view into a larger buffer), comparable with `toEqual`. */
function plain(frame: Uint8Array): string {
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('hex');
}

describe('binary frames from encoded sections', () => {
  it('writes the header and JSON in front of the section: the same bytes as encodeBinaryFrame, decodable', () => {
    const chunk = bytesOf(4096, 3);
    const [payload, bytes] = binary.encode(superjsonCodec, chunk);
    const text = JSON.stringify({ t: 'data', id: 7, data: payload });
    const frame = binary.frame(text, bytes as Uint8Array);
    expect(frame.byteLength).toBe(4 + new TextEncoder().encode(text).byteLength + chunk.byteLength);
    expect(plain(frame)).toEqual(plain(encodeBinaryFrame(text, [chunk])));
    const read = decodeBinaryFrame(frame);
    expect(read.text).toBe(text);
    const message = JSON.parse(read.text) as { data: unknown };
    const value = superjsonCodec.decode(message.data, read.attachments as AttachmentReader);
    expect(value).toEqual(chunk);
  });

  it('copies the caller’s bytes when encoding: reusing the buffer afterwards does not change the frame', () => {
    const chunk = bytesOf(1000, 1);
    const [payload, bytes] = binary.encode(superjsonCodec, { chunk, more: bytesOf(10, 9) });
    const expected = plain(encodeBinaryFrame(JSON.stringify(payload), [bytesOf(1000, 1), bytesOf(10, 9)]));
    chunk.fill(0);
    expect(plain(binary.frame(JSON.stringify(payload), bytes as Uint8Array))).toEqual(expected);
  });

  it('falls back to a copied frame when the JSON does not fit in front of the section', () => {
    const chunk = bytesOf(100, 5);
    const [payload, bytes] = binary.encode(superjsonCodec, { chunk, label: 'x'.repeat(400) });
    const text = JSON.stringify({ t: 'call', id: 1, kind: 'mutation', path: 'upload', input: payload });
    const frame = binary.frame(text, bytes as Uint8Array);
    expect(frame.byteOffset).toBe(0);
    expect(plain(frame)).toEqual(plain(encodeBinaryFrame(text, [bytesOf(100, 5)])));
  });

  it('frames the same section again with another text (a call sent again after a reconnect)', () => {
    const [payload, bytes] = binary.encode(superjsonCodec, bytesOf(64, 2));
    const first = JSON.stringify({ t: 'call', id: 1, kind: 'mutation', path: 'p', input: payload, timeoutMs: 5000 });
    const again = JSON.stringify({ t: 'call', id: 1, kind: 'mutation', path: 'p', input: payload, timeoutMs: 12 });
    binary.frame(first, bytes as Uint8Array);
    expect(decodeBinaryFrame(binary.frame(again, bytes as Uint8Array)).text).toBe(again);
  });

  it('never writes in front of bytes it did not make', () => {
    const buffer = new Uint8Array(256 + 32).fill(7);
    const foreign = buffer.subarray(256);
    const frame = binary.frame('{"t":"data","id":1}', foreign);
    expect(frame.buffer).not.toBe(buffer.buffer);
    expect(buffer.every((byte) => byte === 7)).toBe(true);
  });
});
