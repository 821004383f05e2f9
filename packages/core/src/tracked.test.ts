import { describe, expect, it } from 'vitest';
import { DuplexError, isErrorCode } from './errors.js';
import { isTracked, tracked } from './tracked.js';

describe('tracked', () => {
  it('wraps a value with an id', () => {
    const t = tracked('7', { a: 1 });
    expect(isTracked(t)).toBe(true);
    expect(t.id).toBe('7');
    expect(t.data).toEqual({ a: 1 });
    expect(isTracked({ id: '7', data: 1 })).toBe(false);
  });
  it('refuses an empty id', () => {
    expect(() => tracked('', 1)).toThrow(TypeError);
  });
});

describe('DuplexError', () => {
  it('keeps code, message, issues and cause', () => {
    const cause = new Error('root');
    const error = new DuplexError({ code: 'BAD_REQUEST', message: 'bad', issues: [{ message: 'x' }], cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.issues).toEqual([{ message: 'x' }]);
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(false);
  });
  it('wraps unknown throws as INTERNAL_SERVER_ERROR', () => {
    expect(DuplexError.from(new Error('x')).code).toBe('INTERNAL_SERVER_ERROR');
    expect(DuplexError.from('x').message).toBe('x');
    const same = new DuplexError({ code: 'CONFLICT' });
    expect(DuplexError.from(same)).toBe(same);
  });
  it('knows its codes', () => {
    expect(isErrorCode('TIMEOUT')).toBe(true);
    expect(isErrorCode('NOPE')).toBe(false);
  });
});
