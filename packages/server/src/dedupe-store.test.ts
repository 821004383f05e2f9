import { describe, expect, it } from 'vitest';
import { type DedupeClaim, MemoryDedupeStore } from './dedupe-store.js';

const session = (seq: number, floor = 1) => ({ kind: 'session' as const, sid: 'session-aaaaaaaaaaaa', seq, floor });
const ok = (data: unknown) => ({ ok: true as const, data });

function run(claim: DedupeClaim, data: unknown): void {
  if (claim.status !== 'run') throw new Error(`expected run, got ${claim.status}`);
  claim.complete(ok(data));
}

describe('MemoryDedupeStore', () => {
  it('runs a new seq, answers a repeat from the window, and shares a running one', async () => {
    const store = new MemoryDedupeStore();
    const first = store.claim(session(1));
    expect(first.status).toBe('run');
    const racing = store.claim(session(1));
    expect(racing.status).toBe('running');
    run(first, 'a');
    if (racing.status === 'running') expect(await racing.outcome).toEqual(ok('a'));
    expect(store.claim(session(1))).toEqual({ status: 'done', outcome: ok('a') });
  });

  it('forgets an attempt that did not run, so the next claim runs it', () => {
    const store = new MemoryDedupeStore();
    const first = store.claim(session(1));
    if (first.status === 'run') first.complete(undefined);
    expect(store.claim(session(1)).status).toBe('run');
  });

  it('a session it does not know starts at the floor the hello gave: below it is expired, never run', () => {
    const store = new MemoryDedupeStore();
    expect(store.claim(session(3, 5)).status).toBe('expired');
    expect(store.claim(session(5, 5)).status).toBe('run');
  });

  it('forgets outcomes after windowMs; a forgotten seq is expired, not run again', () => {
    let now = 0;
    const store = new MemoryDedupeStore({ windowMs: 1_000, clock: { now: () => now } });
    run(store.claim(session(1)), 'a');
    now = 999;
    expect(store.claim(session(1)).status).toBe('done');
    now = 2_001;
    expect(store.claim(session(1)).status).toBe('expired');
    expect(store.claim(session(2)).status).toBe('run');
  });

  it('checks for expiry at most once per tenth of the window: an outcome is kept at most that much longer', () => {
    let now = 0;
    const store = new MemoryDedupeStore({ windowMs: 1_000, clock: { now: () => now } });
    run(store.claim(session(1)), 'a'); // checked at 0: the next check is due at 100
    now = 950;
    run(store.claim(session(2)), 'b'); // checked at 950: next due at 1_050
    now = 1_020; // seq 1 is past its window, but no check is due yet: still answered
    expect(store.claim(session(1))).toEqual({ status: 'done', outcome: ok('a') });
    now = 1_050;
    expect(store.claim(session(1)).status).toBe('expired');
    expect(store.claim(session(2))).toEqual({ status: 'done', outcome: ok('b') });
  });

  it('keeps maxEntries outcomes per session, oldest forgotten first', () => {
    const store = new MemoryDedupeStore({ maxEntries: 2 });
    for (const seq of [1, 2, 3]) run(store.claim(session(seq)), seq);
    expect(store.claim(session(1)).status).toBe('expired');
    expect(store.claim(session(3))).toEqual({ status: 'done', outcome: ok(3) });
  });

  it('keeps at most maxSessions, the least recently used going first', () => {
    const store = new MemoryDedupeStore({ maxSessions: 2 });
    for (const sid of ['s-aaaaaaaaaaaaaaaa', 's-bbbbbbbbbbbbbbbb', 's-cccccccccccccccc']) {
      run(store.claim({ kind: 'session', sid, seq: 1, floor: 1 }), sid);
    }
    expect(store.size).toBe(2);
    expect(store.claim({ kind: 'session', sid: 's-aaaaaaaaaaaaaaaa', seq: 1, floor: 2 }).status).toBe('expired');
  });

  it('ties an idempotency key to one input per procedure', () => {
    const store = new MemoryDedupeStore();
    run(store.claim({ kind: 'key', path: 'pay', key: 'k1', fingerprint: 'f1' }), 'paid');
    expect(store.claim({ kind: 'key', path: 'pay', key: 'k1', fingerprint: 'f1' }).status).toBe('done');
    expect(store.claim({ kind: 'key', path: 'pay', key: 'k1', fingerprint: 'f2' }).status).toBe('mismatch');
    expect(store.claim({ kind: 'key', path: 'refund', key: 'k1', fingerprint: 'f2' }).status).toBe('run');
  });
});
