import { describe, expect, it } from 'vitest';
import { renderTable, type ScenarioRow } from './report.js';

const rows: ScenarioRow[] = [
  { scenario: 'b', system: 'raw-ws', label: 'raw ws (floor)', metrics: { callsPerSec: 80_000, serverCpuUs: 10, clientCpuUs: 8 } },
  { scenario: 'b', system: 'duplex', label: 'duplex', metrics: { callsPerSec: 60_000, serverCpuUs: 15, clientCpuUs: 8 } },
  { scenario: 'b', system: 'trpc', label: 'tRPC', metrics: {}, error: 'connect ECONNREFUSED | boom' },
];

describe('renderTable', () => {
  it('prints each figure with its ratio to the raw-ws floor', () => {
    const lines = renderTable('b', rows, [2_000]).split('\n');
    expect(lines[0]).toBe('### (b) 64 calls in flight on one socket');
    expect(lines[2]).toBe('| system | calls/s | × floor | server CPU µs/call | × floor | client CPU µs/call | × floor |');
    expect(lines[4]).toBe('| raw ws (floor) | 80,000 | 1.00× | 10.0 | 1.00× | 8.0 | 1.00× |');
    expect(lines[5]).toBe('| duplex | 60,000 | 0.75× | 15.0 | 1.50× | 8.0 | 1.00× |');
  });

  it('shows a failed system as n/a with its error, pipes escaped', () => {
    const line = renderTable('b', rows, [2_000]).split('\n')[6];
    expect(line).toContain('| tRPC | n/a |');
    expect(line).toContain('connect ECONNREFUSED / boom');
  });

  it('takes the ratios of the rich scenarios to the typed floor (raw ws cannot carry a Date or a Map)', () => {
    const rich: ScenarioRow[] = [
      { scenario: 'i', system: 'raw-ws-typed', label: 'raw ws + zod + superjson', metrics: { callsPerSec: 20_000 } },
      { scenario: 'i', system: 'duplex', label: 'duplex', metrics: { callsPerSec: 30_000 } },
    ];
    const lines = renderTable('i', rich, [2_000]).split('\n');
    expect(lines[0]).toContain('(i) Date+Map echo');
    expect(lines[2]).toContain('| server busy % | × floor | client busy % | × floor |');
    expect(lines[4]).toContain('| 20,000 | 1.00× |');
    expect(lines[5]).toContain('| 30,000 | 1.50× |');
  });

  it('has one heap and one RSS column per idle-connection count', () => {
    const header = renderTable('f', [], [2_000, 10_000]).split('\n')[2];
    expect(header).toBe('| system | heap KB/conn @2000 | × floor | RSS KB/conn @2000 | × floor | heap KB/conn @10000 | × floor | RSS KB/conn @10000 | × floor |');
  });
});
