import { describe, expect, it } from 'vitest';
import { BinaryFrameError, encodeBinaryFrame } from './binary-frame.js';
import { base64ToBytes, bytesToBase64, decodeFrameRecords, encodeFrameRecords } from './frame-records.js';

describe('frame records (protocol.md §12.1)', () => {
  it('round-trips frames, empty ones included, as length-prefixed records', () => {
    const frames = [encodeBinaryFrame('{"t":"result","id":1}', [new Uint8Array([1, 2])]), new Uint8Array(0), encodeBinaryFrame('{}', [])];
    const body = encodeFrameRecords(frames);
    expect(body.byteLength).toBe(frames.reduce((n, frame) => n + 4 + frame.byteLength, 0));
    expect(decodeFrameRecords(body).map((frame) => [...frame])).toEqual(frames.map((frame) => [...frame]));
    expect(decodeFrameRecords(new Uint8Array(0))).toEqual([]);
  });

  it('refuses records cut short', () => {
    const body = encodeFrameRecords([new Uint8Array([1, 2, 3])]);
    expect(() => decodeFrameRecords(body.subarray(0, 6))).toThrow(BinaryFrameError);
    expect(() => decodeFrameRecords(new Uint8Array([0, 0, 1]))).toThrow('frame record header cut short');
    expect(() => decodeFrameRecords(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow('frame record cut short');
  });

  it('base64-encodes any bytes, larger than one chunk too, and refuses text that is not base64', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    const text = bytesToBase64(bytes);
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect([...base64ToBytes(text)]).toEqual([...bytes]);
    expect(bytesToBase64(new Uint8Array([255, 0]))).toBe('/wA=');
    expect(() => base64ToBytes('not base64!')).toThrow(BinaryFrameError);
  });
});
