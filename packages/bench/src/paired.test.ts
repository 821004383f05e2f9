import { describe, expect, it } from 'vitest';
import { pairedRatios, renderPaired } from './paired.js';
import type { ScenarioRow } from './report.js';

const sample = (rate: number, serverCpuUs: number) => ({ rate, serverCpuUs, ops: 1 });

describe('paired A/B report', () => {
  it('divides repeat by repeat, over the repeats both systems completed', () => {
    expect(pairedRatios([sample(110, 2), sample(90, 2), sample(50, 2)], [sample(100, 4), sample(100, 4)], 'rate')).toEqual([1.1, 0.9]);
  });

  it('prints the median change and the middle half of the per-repeat ratios', () => {
    const rows: ScenarioRow[] = [
      { scenario: 'b', system: 'duplex', label: 'duplex', metrics: {}, samples: [sample(102, 4), sample(98, 4), sample(101, 4), sample(200, 4)] },
      { scenario: 'b', system: 'duplex-base', label: 'base', metrics: {}, samples: [sample(100, 4), sample(100, 4), sample(100, 4), sample(100, 4)] },
    ];
    const lines = renderPaired('b', rows, 'duplex', 'duplex-base').split('\n');
    expect(lines[0]).toBe('#### (b) 64 calls in flight on one socket: duplex against duplex-base, paired by repeat');
    expect(lines[4]).toBe('| calls/s | 1.010× (+1.0 %) | 0.980–1.020× | 4 |');
    expect(lines[5]).toBe('| server CPU per op | 1.000× (+0.0 %) | 1.000–1.000× | 4 |');
  });

  it('names the scenario without its details', () => {
    const rows: ScenarioRow[] = ['duplex', 'duplex-base'].map((system) => ({ scenario: 'd', system, label: system, metrics: {}, samples: [sample(1, 1)] }));
    expect(renderPaired('d', rows, 'duplex', 'duplex-base').split('\n')[0]).toBe('#### (d) subscription fan-out to 1,000 subscribers: duplex against duplex-base, paired by repeat');
  });

  it('is empty when a system did not run', () => {
    expect(renderPaired('b', [], 'duplex', 'duplex-base')).toBe('');
  });
});
