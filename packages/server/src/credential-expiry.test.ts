import { createFakeClock } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { CredentialExpiry } from './credential-expiry.js';

describe('CredentialExpiry', () => {
  it('fires at the stated time, and a renewal moves it', () => {
    const clock = createFakeClock(1_000);
    let expired = 0;
    const expiry = new CredentialExpiry(clock, (ctx) => (ctx as { exp: number }).exp, () => expired++);
    expect(expiry.arm({ exp: 5_000 })).toBe(5_000);
    clock.advance(3_000);
    expect(expiry.arm({ exp: new Date(9_000) })).toBe(9_000);
    clock.advance(4_999);
    expect(expired).toBe(0);
    clock.advance(1);
    expect(expired).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('no expiry arms nothing; stop() clears the timer', () => {
    const clock = createFakeClock();
    let expired = 0;
    const expiry = new CredentialExpiry(clock, (ctx) => (ctx as { exp?: number }).exp, () => expired++);
    expect(expiry.arm({})).toBeUndefined();
    expect(clock.pending).toBe(0);
    expiry.arm({ exp: 10 });
    expiry.stop();
    clock.advance(100);
    expect(expired).toBe(0);
  });

  it('waits in steps past the 2^31 − 1 ms a timer can hold', () => {
    const clock = createFakeClock();
    let expired = 0;
    const expiry = new CredentialExpiry(clock, () => 3_000_000_000, () => expired++);
    expiry.arm({});
    clock.advance(2_147_483_647);
    expect(expired).toBe(0);
    clock.advance(3_000_000_000 - 2_147_483_647);
    expect(expired).toBe(1);
  });

  it('a hook that throws or returns no number fails closed: expired at once', () => {
    const clock = createFakeClock(500);
    let expired = 0;
    const throwing = new CredentialExpiry(clock, () => { throw new Error('no exp'); }, () => expired++);
    expect(throwing.arm({})).toBe(500);
    const nan = new CredentialExpiry(clock, () => Number.NaN, () => expired++);
    expect(nan.arm({})).toBe(500);
    clock.advance(0);
    expect(expired).toBe(2);
  });
});
