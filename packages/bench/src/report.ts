import { floorOf, SCENARIO_TITLES, type ScenarioId } from './config.js';

/** One system's figures in one scenario (medians over repeats), or why it has none. */
export interface ScenarioRow {
  scenario: ScenarioId;
  system: string;
  label: string;
  metrics: Record<string, number>;
  samples?: unknown;
  error?: string;
}

interface Column {
  key: string;
  label: string;
  /** Digits after the point. */
  digits: number;
}

/** The columns of each scenario's table; each gets a ratio-to-floor column beside it. */
export function columnsFor(scenario: ScenarioId, idleConnections: readonly number[]): Column[] {
  const per = scenario === 'd' || scenario === 'j' ? 'delivery' : scenario === 'g' ? 'connect' : 'call';
  const cpu: Column[] = [
    { key: 'serverCpuUs', label: `server CPU µs/${per}`, digits: 1 },
    { key: 'clientCpuUs', label: `client CPU µs/${per}`, digits: 1 },
  ];
  // (i) asks for one process above 85 % busy (issue 18): how much of each core the processes used.
  const busy: Column[] =
    scenario === 'i'
      ? [
          { key: 'serverBusyPct', label: 'server busy %', digits: 0 },
          { key: 'clientBusyPct', label: 'client busy %', digits: 0 },
        ]
      : [];
  return scenario === 'f' ? rateColumns(scenario, idleConnections) : [...rateColumns(scenario, idleConnections), ...cpu, ...busy];
}

function rateColumns(scenario: ScenarioId, idleConnections: readonly number[]): Column[] {
  switch (scenario) {
    case 'a':
      return [
        { key: 'callsPerSec', label: 'calls/s', digits: 0 },
        { key: 'p50Us', label: 'p50 µs', digits: 0 },
        { key: 'p99Us', label: 'p99 µs', digits: 0 },
      ];
    case 'b':
    case 'c':
    case 'e':
    case 'i':
    case 'k':
      return [{ key: 'callsPerSec', label: 'calls/s', digits: 0 }];
    case 'd':
    case 'j':
      return [{ key: 'deliveriesPerSec', label: 'deliveries/s', digits: 0 }];
    case 'f':
      return idleConnections.flatMap((n) => [
        { key: `heapKB@${n}`, label: `heap KB/conn @${n}`, digits: 1 },
        { key: `rssKB@${n}`, label: `RSS KB/conn @${n}`, digits: 1 },
      ]);
    case 'g':
      return [
        { key: 'p50Us', label: 'p50 µs', digits: 0 },
        { key: 'p99Us', label: 'p99 µs', digits: 0 },
      ];
  }
}

function format(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A markdown table per scenario, with each figure's ratio to the scenario's floor (`× floor`, see {@link floorOf}). */
export function renderTable(scenario: ScenarioId, rows: readonly ScenarioRow[], idleConnections: readonly number[]): string {
  const columns = columnsFor(scenario, idleConnections);
  const floor = rows.find((row) => row.system === floorOf(scenario) && !row.error);
  const header = ['system', ...columns.flatMap((c) => [c.label, '× floor'])];
  const lines = [`### ${SCENARIO_TITLES[scenario]}`, '', `| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) {
    if (row.error) {
      lines.push(`| ${row.label} | ${columns.map(() => 'n/a | ').join('')}${row.error.replaceAll('|', '/').slice(0, 120)} |`.replace(/\| \|$/, '|'));
      continue;
    }
    const cells = columns.flatMap((c) => {
      const value = row.metrics[c.key];
      const base = floor?.metrics[c.key];
      const ratio = value !== undefined && base ? value / base : undefined;
      return [format(value, c.digits), ratio === undefined ? '–' : `${ratio.toFixed(2)}×`];
    });
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
