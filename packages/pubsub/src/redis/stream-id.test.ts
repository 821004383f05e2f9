import { describe, expect, it } from 'vitest';
import { compareStreamIds, entryMessage, isStreamId } from './stream-id.js';

describe('stream ids', () => {
  it.each([
    ['1-0', '1-0', 0],
    ['1-1', '1-0', 1],
    ['9-0', '10-0', -1],
    ['1700000000000-2', '1700000000000-10', -1],
    ['18446744073709551615-0', '18446744073709551614-99', 1],
  ])('compare(%s, %s) = %i', (left, right, sign) => {
    expect(Math.sign(compareStreamIds(left, right))).toBe(sign);
  });

  it('validates the id shape before it reaches XRANGE', () => {
    expect(isStreamId('1700000000000-0')).toBe(true);
    expect(isStreamId('42')).toBe(true);
    expect(isStreamId('abc-1')).toBe(false);
    expect(isStreamId('1-2-3')).toBe(false);
  });

  it('finds the message field of an entry', () => {
    expect(entryMessage(['1-0', ['x', '1', 'm', '"hi"']])).toBe('"hi"');
    expect(entryMessage(['1-0', ['x', '1']])).toBeUndefined();
  });
});
