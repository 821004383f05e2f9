import { describe, expect, it } from 'vitest';
import { type FaultConfig, integrity, maxInWindow, Recorder, runFaults } from './harness.js';
import { renderFaults } from './report.js';
import { duplexFaults } from './systems.js';

function recorded(...seqs: number[]): Recorder {
  const recorder = new Recorder();
  for (const seq of seqs) recorder.add(seq);
  return recorder;
}

describe('fault bench accounting', () => {
  it('counts lost, duplicated and out-of-order events per client', () => {
    expect(integrity([recorded(5, 6, 7, 8)])).toEqual({ events: 4, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(integrity([recorded(1, 2, 5, 6)])).toEqual({ events: 4, lost: 2, duplicated: 0, outOfOrder: 0 });
    expect(integrity([recorded(1, 2, 2, 3, 1)])).toEqual({ events: 5, lost: 0, duplicated: 2, outOfOrder: 0 });
    expect(integrity([recorded(1, 3, 2, 4)])).toEqual({ events: 4, lost: 0, duplicated: 0, outOfOrder: 1 });
    expect(integrity([recorded(1, 2), recorded(10, 12)])).toEqual({ events: 4, lost: 1, duplicated: 0, outOfOrder: 0 });
  });

  it('finds the busiest window', () => {
    expect(maxInWindow([0, 10, 99, 100, 150, 400], 100)).toBe(3);
    expect(maxInWindow([], 100)).toBe(0);
  });
});

describe('npm run bench:faults (smoke, duplex only)', () => {
  // Tiny numbers; asserts correctness and completion only, never timing (the machine may be loaded).
  const config: FaultConfig = {
    mode: 'custom',
    cuts: 2,
    stallCapMs: 0,
    restarts: 1,
    stormClients: 10,
    stormRounds: 1,
    recoverTimeoutMs: 20_000,
  };

  it('recovers from cuts, a restart and a small storm with no event lost, doubled or reordered', { timeout: 90_000 }, async () => {
    const results = await runFaults([duplexFaults], config);
    expect(results.cuts).toHaveLength(1);
    expect(results.restarts).toHaveLength(1);
    expect(results.storms).toHaveLength(1);
    expect(results.stalls).toHaveLength(0);
    for (const r of [...results.cuts, ...results.restarts]) {
      expect(r.timeouts).toBe(0);
      expect(r.samples).toHaveLength(r === results.cuts[0] ? 2 : 1);
    }
    expect(results.storms[0]?.unrecovered).toBe(0);
    for (const r of [...results.cuts, ...results.restarts, ...results.storms]) {
      expect(r.integrity.events).toBeGreaterThan(0);
      expect(r.integrity).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    }
    expect(renderFaults(results, config)).toContain('| duplex (defaults) |');
  });
});
