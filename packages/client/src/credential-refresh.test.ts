import { createFakeClock } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { createCredentialRefresh } from './credential-refresh.js';

function setup(beforeMs = 10_000) {
  const clock = createFakeClock(1_000_000);
  const at: number[] = [];
  const refresh = createCredentialRefresh(clock, beforeMs, async () => {
    at.push(clock.now());
  });
  return { clock, at, refresh };
}

describe('createCredentialRefresh', () => {
  it('renews beforeMs ahead of a long-lived expiry', () => {
    const { clock, at, refresh } = setup();
    refresh.expiresAt(clock.now() + 60_000);
    clock.advance(49_999);
    expect(at).toEqual([]);
    clock.advance(1);
    expect(at).toEqual([1_050_000]);
  });

  it('renews halfway through a lifetime shorter than twice beforeMs', () => {
    const { clock, at, refresh } = setup();
    refresh.expiresAt(clock.now() + 3_000);
    clock.advance(3_000);
    expect(at).toEqual([1_001_500]);
  });

  it('once per stated expiry: the same or an earlier one schedules nothing more', () => {
    const { clock, at, refresh } = setup(1_000);
    const exp = clock.now() + 4_000;
    refresh.expiresAt(exp);
    clock.advance(3_000);
    refresh.expiresAt(exp);
    refresh.expiresAt(exp - 1);
    clock.advance(60_000);
    expect(at).toEqual([1_003_000]);
    expect(clock.pending).toBe(0);
  });

  it('an expiry already past renews at once, a later one replaces the schedule, none or stop() clears it', () => {
    const { clock, at, refresh } = setup(1_000);
    refresh.expiresAt(clock.now() - 5);
    clock.advance(0);
    expect(at).toEqual([1_000_000]);
    refresh.expiresAt(clock.now() + 10_000);
    refresh.expiresAt(clock.now() + 20_000);
    expect(clock.pending).toBe(1);
    refresh.expiresAt(undefined);
    expect(clock.pending).toBe(0);
    refresh.expiresAt(clock.now() + 30_000);
    refresh.stop();
    clock.advance(60_000);
    expect(at).toEqual([1_000_000]);
  });

  it('a refused renewal is swallowed (the server closes at expiry; the 4401 rule takes over)', async () => {
    const clock = createFakeClock();
    let calls = 0;
    const refresh = createCredentialRefresh(clock, 1_000, () => {
      calls++;
      return Promise.reject(new Error('refused'));
    });
    refresh.expiresAt(5_000);
    clock.advance(5_000);
    await Promise.resolve();
    expect(calls).toBe(1);
  });
});
