import type { ClientRequest, RepeatedScenario, RunSample } from './client-process.js';
import { type BenchConfig, takesPart } from './config.js';
import type { EventShape } from './payloads.js';
import type { ScenarioRow } from './report.js';
import type { MemorySample, ServerRequest } from './server-process.js';
import { median } from './stats.js';
import type { BenchSystem } from './system.js';
import { CLIENT_CORE, SERVER_CORE, spawnWorker, stopWorker, type Worker } from './workers.js';

export const HOST = '127.0.0.1';

/** One system's server and load generator, both running. */
export interface SystemPair {
  system: BenchSystem;
  server: Worker;
  client: Worker;
  port: number;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Forks a server process for `system` (under its runtime) and starts serving on 127.0.0.1. */
export async function startServer(system: BenchSystem, serverArgs: string[], source?: boolean): Promise<{ server: Worker; port: number }> {
  const server = spawnWorker('./server-process.ts', { core: SERVER_CORE, extraArgs: serverArgs, runtime: system.runtime, source });
  const { port } = await server.ipc.request<{ port: number }>({ op: 'start', system: system.id, host: HOST } satisfies ServerRequest);
  return { server, port };
}

/** Starts a server and a load generator (both get `serverArgs`, e.g. `--cpu-prof`); fan-out requests are relayed. */
export async function startPair(system: BenchSystem, serverArgs: string[]): Promise<SystemPair> {
  const { server, port } = await startServer(system, serverArgs);
  const client = spawnWorker('./client-process.ts', { core: CLIENT_CORE, extraArgs: serverArgs });
  client.ipc.handle(async (body) => {
    const req = body as { op: 'await-subscribers'; count: number } | { op: 'publish'; count: number; shape: EventShape };
    if (req.op === 'publish') return server.ipc.request({ op: 'publish', count: req.count, shape: req.shape } satisfies ServerRequest);
    // Bounded wait (~30 s) for the server to register every subscription.
    for (let i = 0; i < 1_500; i++) {
      const live = await server.ipc.request<number>({ op: 'subscribers' } satisfies ServerRequest);
      if (live >= req.count) return live;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`only some of ${req.count} subscriptions reached the server`);
  });
  return { system, server, client, port };
}

export async function stopPair(pair: SystemPair): Promise<void> {
  await pair.server.ipc.request({ op: 'close' } satisfies ServerRequest).catch(() => {});
  await Promise.all([stopWorker(pair.server), stopWorker(pair.client)]);
}

function summarize(scenario: RepeatedScenario, samples: RunSample[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const pick = (key: keyof RunSample) => samples.flatMap((s) => (s[key] === undefined ? [] : [s[key]]));
  const rates = pick('rate');
  if (rates.length) metrics[scenario === 'd' || scenario === 'j' ? 'deliveriesPerSec' : 'callsPerSec'] = median(rates);
  for (const key of ['p50Us', 'p99Us', 'serverCpuUs', 'clientCpuUs'] as const) {
    const values = pick(key);
    if (values.length) metrics[key] = median(values);
  }
  // Share of the repeat each process spent on CPU (rate × CPU per operation): 100 % is a saturated core.
  for (const [key, cpu] of [['serverBusyPct', 'serverCpuUs'], ['clientBusyPct', 'clientCpuUs']] as const) {
    const values = samples.flatMap((s) => (s.rate !== undefined && s[cpu] !== undefined ? [(s.rate * (s[cpu] as number)) / 1e4] : []));
    if (values.length) metrics[key] = median(values);
  }
  return metrics;
}

/**
 * Runs one scenario on every pair whose system takes part in it ({@link takesPart}): prepare all (connect, warm up), then each repeat visits
 * every system in turn (in reverse order on odd repeats), then release all. Reports the median of the repeats.
 */
export async function runRepeated(opts: {
  scenario: RepeatedScenario;
  pairs: readonly SystemPair[];
  config: BenchConfig;
  log: (line: string) => void;
}): Promise<ScenarioRow[]> {
  const { scenario, config } = opts;
  const pairs = opts.pairs.filter((pair) => takesPart(pair.system, scenario));
  const rows = pairs.map(
    (pair): ScenarioRow => ({ scenario, system: pair.system.id, label: pair.system.label, metrics: {} }),
  );
  const samples: RunSample[][] = pairs.map(() => []);
  const prepared = new Set<number>();
  // Prepared one system at a time: 1,000 fan-out subscribers connecting is itself CPU work.
  for (const [i, pair] of pairs.entries()) {
    try {
      await pair.client.ipc.request({ op: 'prepare', scenario, system: pair.system.id, host: HOST, port: pair.port, config } satisfies ClientRequest);
      prepared.add(i);
    } catch (error) {
      (rows[i] as ScenarioRow).error = errorText(error);
    }
  }
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    // Odd repeats visit the systems in reverse, so no system always runs right after the same
    // neighbour (a paired A/B of two builds would otherwise carry an order bias).
    const visits = [...pairs.entries()];
    if (repeat % 2 === 1) visits.reverse();
    for (const [i, pair] of visits) {
      if (!prepared.has(i)) continue;
      try {
        const cpuBefore = await pair.server.ipc.request<number>({ op: 'cpu' } satisfies ServerRequest);
        const sample = await pair.client.ipc.request<RunSample>({ op: 'measure' } satisfies ClientRequest);
        const cpuAfter = await pair.server.ipc.request<number>({ op: 'cpu' } satisfies ServerRequest);
        if (sample.ops > 0) sample.serverCpuUs = (cpuAfter - cpuBefore) / sample.ops;
        (samples[i] as RunSample[]).push(sample);
      } catch (error) {
        (rows[i] as ScenarioRow).error = errorText(error);
        prepared.delete(i);
      }
    }
    opts.log(`  ${scenario}: repeat ${repeat + 1}/${config.repeats} done`);
  }
  for (const [i, pair] of pairs.entries()) {
    await pair.client.ipc.request({ op: 'release' } satisfies ClientRequest).catch(() => {});
    const row = rows[i] as ScenarioRow;
    row.samples = samples[i];
    if (!row.error) row.metrics = summarize(scenario, samples[i] as RunSample[]);
  }
  return rows;
}

/** Scenario (f): a fresh server per connection count, memory after gc before and after. */
export async function runIdleMemory(opts: {
  system: BenchSystem;
  client: Worker;
  counts: readonly number[];
  serverArgs: string[];
}): Promise<ScenarioRow> {
  const { system, client } = opts;
  const row: ScenarioRow = { scenario: 'f', system: system.id, label: system.label, metrics: {} };
  const samples: unknown[] = [];
  for (const count of opts.counts) {
    const { server, port } = await startServer(system, opts.serverArgs);
    try {
      const before = await server.ipc.request<MemorySample>({ op: 'memory' } satisfies ServerRequest);
      await client.ipc.request({ op: 'open-idle', system: system.id, host: HOST, port, count } satisfies ClientRequest);
      const after = await server.ipc.request<MemorySample>({ op: 'memory' } satisfies ServerRequest);
      row.metrics[`heapKB@${count}`] = (after.heapUsed - before.heapUsed) / count / 1024;
      row.metrics[`rssKB@${count}`] = (after.rss - before.rss) / count / 1024;
      samples.push({ count, before, after });
    } catch (error) {
      row.error = `${count} connections: ${errorText(error)}`;
    } finally {
      await client.ipc.request({ op: 'close-idle' } satisfies ClientRequest).catch(() => {});
      await server.ipc.request({ op: 'close' } satisfies ServerRequest).catch(() => {});
      await stopWorker(server);
    }
    if (row.error) break;
  }
  row.samples = samples;
  return row;
}
