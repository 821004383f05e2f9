import { describe, expect, it } from 'vitest';
import {
  AttachmentReader,
  Attachments,
  BinaryFrameError,
  checkAttachments,
  concatBytes,
  decodeBinaryFrame,
  encodeBinaryFrame,
} from './binary-frame.js';

const bytes = (...values: number[]) => new Uint8Array(values);

/** A binary frame with a hand-written header: `n` announced, `json` and `rest` appended. */
function rawFrame(n: number, json: string, rest: Uint8Array = bytes()): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, n);
  return concatBytes([header, new TextEncoder().encode(json), rest]);
}

describe('encodeBinaryFrame / decodeBinaryFrame', () => {
  it('lays out [uint32 BE length][JSON][attachments]', () => {
    const frame = encodeBinaryFrame('{"a":"é"}', [bytes(1, 2), bytes(), bytes(3)]);
    expect([...frame]).toEqual([0, 0, 0, 10, ...new TextEncoder().encode('{"a":"é"}'), 1, 2, 3]);
    const { text, attachments } = decodeBinaryFrame(frame);
    expect(text).toBe('{"a":"é"}');
    expect([...attachments.section]).toEqual([1, 2, 3]);
  });

  it('reads a frame that is a view into a larger buffer', () => {
    const frame = encodeBinaryFrame('{}', [bytes(7)]);
    const padded = new Uint8Array(frame.byteLength + 5);
    padded.set(frame, 3);
    const { text, attachments } = decodeBinaryFrame(padded.subarray(3, 3 + frame.byteLength));
    expect(text).toBe('{}');
    expect([...attachments.section]).toEqual([7]);
  });

  it.each([
    ['empty', bytes(), 'binary frame header out of range'],
    ['shorter than the header', bytes(0, 0, 1), 'binary frame header out of range'],
    ['N past the end', rawFrame(10, '{}'), 'binary frame header out of range'],
    ['N of 2^32 - 1', rawFrame(0xffffffff, '{}'), 'binary frame header out of range'],
    ['JSON that is not UTF-8', concatBytes([bytes(0, 0, 0, 3), bytes(0x22, 0xff, 0x22)]), 'binary frame JSON is not UTF-8'],
  ])('refuses a frame %s', (_name, frame, message) => {
    expect(() => decodeBinaryFrame(frame)).toThrow(new BinaryFrameError(message));
  });

  it('keeps a BOM, so the JSON parser refuses it like in a text frame', () => {
    const { text } = decodeBinaryFrame(concatBytes([bytes(0, 0, 0, 5), bytes(0xef, 0xbb, 0xbf), new TextEncoder().encode('{}')]));
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });
});

describe('Attachments', () => {
  it('hands out consecutive references and empties on take()', () => {
    const attachments = new Attachments();
    expect(attachments.take()).toBeUndefined();
    expect(attachments.add(bytes(1, 2, 3))).toEqual([0, 3]);
    expect(attachments.add(bytes())).toEqual([3, 0]);
    expect(attachments.add(bytes(4))).toEqual([3, 1]);
    expect(attachments.take()?.map((part) => [...part])).toEqual([[1, 2, 3], [], [4]]);
    expect(attachments.byteLength).toBe(0);
    expect(attachments.take()).toBeUndefined();
  });
});

describe('AttachmentReader', () => {
  const section = bytes(10, 11, 12, 13, 14);

  it('copies each referenced range into its own buffer', () => {
    const reader = new AttachmentReader(section);
    const a = reader.take([0, 2]);
    const b = reader.take([2, 3]);
    expect([...a, ...b]).toEqual([10, 11, 12, 13, 14]);
    expect(a.buffer).not.toBe(section.buffer);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(2);
    checkAttachments(reader);
  });

  it('copies out of a Buffer too, whose own slice() would be a view into the socket read', () => {
    // A socket read holding this frame's section between other bytes, as `ws` hands it out on Node.
    const read = Buffer.from([1, 2, 3, 10, 11, 12, 13, 14, 4, 5, 6]);
    const reader = new AttachmentReader(read.subarray(3, 8));
    const value = reader.take([0, 5]);
    expect([...value]).toEqual([10, 11, 12, 13, 14]);
    expect(value.buffer).not.toBe(read.buffer);
    expect(value.buffer.byteLength).toBe(5);
    expect(Buffer.isBuffer(value)).toBe(false);
    read.fill(0);
    expect([...value]).toEqual([10, 11, 12, 13, 14]);
  });

  it('hands out the only value of a frame that has its buffer to itself as a view, and copies when it has more', () => {
    const frame = encodeBinaryFrame('{"t":"data","id":1}', [bytes(1, 2, 3)]);
    const one = decodeBinaryFrame(frame).attachments.take([0, 3]);
    expect([...one]).toEqual([1, 2, 3]);
    expect(one.buffer).toBe(frame.buffer);
    expect(Buffer.isBuffer(one)).toBe(false);
    const two = decodeBinaryFrame(encodeBinaryFrame('{}', [bytes(1), bytes(2, 3)])).attachments;
    expect(two.take([0, 1]).buffer.byteLength).toBe(1);
    expect(two.take([1, 2]).buffer.byteLength).toBe(2);
    checkAttachments(two);
    // The same frame inside a larger buffer (a socket read holding other messages): copied.
    const read = concatBytes([bytes(9, 9), frame, bytes(9)]);
    const inRead = decodeBinaryFrame(read.subarray(2, 2 + frame.byteLength)).attachments.take([0, 3]);
    expect(inRead.buffer.byteLength).toBe(3);
  });

  it('gives the same object for a repeated reference, and counts its bytes once', () => {
    const reader = new AttachmentReader(section);
    const first = reader.take([0, 5]);
    expect(reader.take([0, 5])).toBe(first);
    checkAttachments(reader);
  });

  it('accepts zero-length references at range boundaries', () => {
    const reader = new AttachmentReader(section);
    expect(reader.take([0, 0])).toHaveLength(0);
    reader.take([0, 5]);
    expect(reader.take([5, 0])).toHaveLength(0);
    checkAttachments(reader);
    checkAttachments(new AttachmentReader(bytes()));
  });

  it.each([
    ['not an array', 3],
    ['too short', [0]],
    ['too long', [0, 1, 2]],
    ['a negative offset', [-1, 1]],
    ['a fractional length', [0, 1.5]],
    ['a string', ['0', '1']],
    ['past the end', [3, 3]],
    ['Infinity', [0, Number.POSITIVE_INFINITY]],
    ['null', null],
  ])('refuses a reference that is %s', (_name, ref) => {
    expect(() => new AttachmentReader(section).take(ref)).toThrow(new BinaryFrameError('attachment reference out of range'));
  });

  it('refuses overlapping references as soon as they take more bytes than the section has', () => {
    const reader = new AttachmentReader(section);
    reader.take([0, 4]);
    expect(() => reader.take([1, 4])).toThrow(new BinaryFrameError('attachment references overlap'));
  });

  it.each([
    ['overlapping', [[0, 2], [1, 2]], 'attachment references overlap'],
    ['leaving a gap', [[0, 2], [3, 2]], 'attachment bytes not referenced'],
    ['leaving the tail', [[0, 4]], 'attachment bytes not referenced'],
    ['taking nothing', [], 'attachment bytes not referenced'],
  ])('checkAttachments refuses references %s', (_name, refs, message) => {
    const reader = new AttachmentReader(section);
    for (const ref of refs) reader.take(ref);
    expect(() => checkAttachments(reader)).toThrow(new BinaryFrameError(message));
  });

  it('never copies more bytes than the section holds, however many references', () => {
    const big = new Uint8Array(1000);
    const reader = new AttachmentReader(big);
    reader.take([0, 600]);
    expect(() => {
      for (let i = 1; i < 1000; i++) reader.take([i, 600 - (i % 2)]);
    }).toThrow(BinaryFrameError);
    expect(reader.taken.size).toBe(1);
  });
});
