import type { RunSample } from './client-process.js';
import { SCENARIO_TITLES, type ScenarioId } from './config.js';
import type { ScenarioRow } from './report.js';
import { percentile } from './stats.js';

/** Per-repeat ratios of one metric, `a` over `b`, for the repeats both systems completed. */
export function pairedRatios(a: readonly RunSample[], b: readonly RunSample[], key: 'rate' | 'serverCpuUs' | 'clientCpuUs'): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]?.[key];
    const y = b[i]?.[key];
    if (x !== undefined && y !== undefined && y > 0) ratios.push(x / y);
  }
  return ratios;
}

function change(ratio: number): string {
  const pct = (ratio - 1) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)} %`;
}

/**
 * The change of system `a` against system `b` in one scenario, paired by repeat: each repeat runs
 * the two back to back (order alternating), so load that drifts during a run moves both sides of
 * a ratio. Prints the median ratio and the interquartile range of the per-repeat ratios, for the
 * rate and each side's CPU per operation. Empty when either system has no samples.
 */
export function renderPaired(scenario: ScenarioId, rows: readonly ScenarioRow[], a: string, b: string): string {
  const samplesOf = (id: string) => {
    const row = rows.find((r) => r.system === id && r.scenario === scenario);
    return Array.isArray(row?.samples) ? (row.samples as RunSample[]) : [];
  };
  const sa = samplesOf(a);
  const sb = samplesOf(b);
  const lines: string[] = [];
  for (const [key, label] of [
    ['rate', scenario === 'd' || scenario === 'j' ? 'deliveries/s' : 'calls/s'],
    ['serverCpuUs', 'server CPU per op'],
    ['clientCpuUs', 'client CPU per op'],
  ] as const) {
    const ratios = pairedRatios(sa, sb, key);
    if (!ratios.length) continue;
    const [q1, mid, q3] = [25, 50, 75].map((p) => percentile(ratios, p)) as [number, number, number];
    lines.push(`| ${label} | ${mid.toFixed(3)}× (${change(mid)}) | ${q1.toFixed(3)}–${q3.toFixed(3)}× | ${ratios.length} |`);
  }
  if (!lines.length) return '';
  // The title without its parenthesised or `;` details: "(d) subscription fan-out to 1,000 subscribers".
  const title = SCENARIO_TITLES[scenario];
  const short = title.slice(0, 4) + (title.slice(4).split(/ \(|; /)[0] as string);
  return [
    `#### ${short}: ${a} against ${b}, paired by repeat`,
    '',
    '| metric | median ratio | middle half of the ratios | repeats |',
    '| --- | ---: | ---: | ---: |',
    ...lines,
  ].join('\n');
}
