/**
 * `npm run bench [-- --full] [--systems=raw-ws,duplex] [--scenarios=a,b] [--cpu-prof]`:
 * forks a server process and a load generator per system (pinned to separate cores where
 * there are two), runs each scenario with warmup and repeats, prints one table per scenario
 * and writes results/latest.json.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ClientRequest, RunSample } from './client-process.js';
import { type BenchConfig, fullConfig, quickConfig, SCENARIOS, type ScenarioId } from './config.js';
import { Ipc } from './ipc.js';
import { renderTable, type ScenarioRow } from './report.js';
import type { MemorySample, ServerRequest } from './server-process.js';
import { median } from './stats.js';
import type { BenchSystem } from './system.js';
import { systems } from './systems/index.js';

const HOST = '127.0.0.1';
const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]?.split(',');
const config: BenchConfig = args.includes('--full') ? fullConfig : quickConfig;
const systemIds = option('systems');
const scenarioIds = (option('scenarios') ?? SCENARIOS) as ScenarioId[];
const cpuProf = args.includes('--cpu-prof');
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

interface Worker {
  child: ChildProcess;
  ipc: Ipc;
}

function pin(pid: number | undefined, core: number): void {
  if (pid === undefined || os.availableParallelism() < 2) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    // No taskset: the processes share cores, which the environment header says.
  }
}

function spawnWorker(file: string, core: number, extraArgs: string[] = []): Worker {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ['--conditions=@duplex/source', '--import', 'tsx', '--expose-gc', ...extraArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(child.pid, core);
  return { child, ipc: new Ipc(child) };
}

async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.disconnect();
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startServer(system: BenchSystem): Promise<{ worker: Worker; port: number }> {
  const profArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}prof`, `--cpu-prof-name=server-${system.id}-${Date.now()}.cpuprofile`] : [];
  const worker = spawnWorker('./server-process.ts', 0, profArgs);
  const { port } = await worker.ipc.request<{ port: number }>({ op: 'start', system: system.id, host: HOST } satisfies ServerRequest);
  return { worker, port };
}

/** Relays the load generator's fan-out requests to the server process. */
function relay(client: Worker, server: Worker): void {
  client.ipc.handle(async (body) => {
    const req = body as { op: 'await-subscribers'; count: number } | { op: 'publish'; count: number };
    if (req.op === 'publish') return server.ipc.request({ op: 'publish', count: req.count } satisfies ServerRequest);
    // Bounded wait for the server to register every subscription (at most ~30 s).
    for (let i = 0; i < 1_500; i++) {
      const live = await server.ipc.request<number>({ op: 'subscribers' } satisfies ServerRequest);
      if (live >= req.count) return live;
      await sleep(20);
    }
    throw new Error(`only some of ${req.count} subscriptions reached the server`);
  });
}

function summarize(samples: RunSample[], rateKey: string): Record<string, number> {
  const metrics: Record<string, number> = {};
  const rates = samples.flatMap((s) => (s.rate === undefined ? [] : [s.rate]));
  if (rateKey && rates.length) metrics[rateKey] = median(rates);
  const p50 = samples.flatMap((s) => (s.p50Us === undefined ? [] : [s.p50Us]));
  const p99 = samples.flatMap((s) => (s.p99Us === undefined ? [] : [s.p99Us]));
  if (p50.length) metrics.p50Us = median(p50);
  if (p99.length) metrics.p99Us = median(p99);
  return metrics;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runScenario(system: BenchSystem, scenario: ScenarioId, client: Worker, port: number): Promise<ScenarioRow> {
  const row: ScenarioRow = { scenario, system: system.id, label: system.label, metrics: {} };
  const base = { system: system.id, host: HOST, port, config };
  try {
    let samples: RunSample[];
    if (scenario === 'd') {
      samples = await client.ipc.request<RunSample[]>({ op: 'fan-out', ...base } satisfies ClientRequest);
      row.metrics = summarize(samples, 'deliveriesPerSec');
    } else if (scenario === 'g') {
      samples = await client.ipc.request<RunSample[]>({ op: 'connect', ...base } satisfies ClientRequest);
      row.metrics = summarize(samples, '');
    } else if (scenario === 'f') {
      throw new Error('scenario f runs on its own server');
    } else {
      samples = await client.ipc.request<RunSample[]>({ op: 'throughput', scenario, ...base } satisfies ClientRequest);
      row.metrics = summarize(samples, 'callsPerSec');
    }
    row.samples = samples;
  } catch (error) {
    row.error = errorText(error);
  }
  return row;
}

async function runIdleMemory(system: BenchSystem, client: Worker): Promise<ScenarioRow> {
  const row: ScenarioRow = { scenario: 'f', system: system.id, label: system.label, metrics: {} };
  const samples: unknown[] = [];
  for (const count of config.idleConnections) {
    const { worker: server, port } = await startServer(system);
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
      await stopWorker(server);
    }
    if (row.error) break;
  }
  row.samples = samples;
  return row;
}

async function runSystem(system: BenchSystem, rows: ScenarioRow[]): Promise<void> {
  const client = spawnWorker('./client-process.ts', 1);
  try {
    const live = scenarioIds.filter((s) => s !== 'f');
    if (live.length) {
      const { worker: server, port } = await startServer(system);
      relay(client, server);
      try {
        for (const scenario of live) {
          const t0 = performance.now();
          const row = await runScenario(system, scenario, client, port);
          rows.push(row);
          log(`  ${scenario} ${system.id}: ${row.error ? `error: ${row.error}` : JSON.stringify(roundAll(row.metrics))} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        }
      } finally {
        await server.ipc.request({ op: 'close' } satisfies ServerRequest).catch(() => {});
        await stopWorker(server);
      }
    }
    if (scenarioIds.includes('f')) {
      const row = await runIdleMemory(system, client);
      rows.push(row);
      log(`  f ${system.id}: ${row.error ? `error: ${row.error}` : JSON.stringify(roundAll(row.metrics))}`);
    }
  } finally {
    await stopWorker(client);
  }
}

function roundAll(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    pinned: os.availableParallelism() >= 2 ? 'server on core 0, load generator on core 1 (taskset)' : 'not pinned (one core)',
    mode: config.mode,
    config,
  };
}

async function main(): Promise<void> {
  const env = environment();
  const chosen = systemIds ? systems.filter((s) => systemIds.includes(s.id)) : systems;
  log(`duplex bench, ${config.mode} mode: ${chosen.map((s) => s.id).join(', ')}; scenarios ${scenarioIds.join(', ')}`);
  if (config.mode === 'quick') {
    log(
      `quick mode: ${config.warmupMs} ms warmup, ${config.repeats} × ${config.durationMs} ms repeats; (f) at ${config.idleConnections.join(', ')} connections only; use --full for 10,000`,
    );
  }
  const rows: ScenarioRow[] = [];
  for (const system of chosen) {
    log(`${system.label}`);
    await runSystem(system, rows);
  }
  const tables = scenarioIds.map((scenario) =>
    renderTable(
      scenario,
      rows.filter((row) => row.scenario === scenario),
      config.idleConnections,
    ),
  );
  const header = `duplex bench — ${env.date}, Node ${env.node}, ${env.cpu} × ${env.cores}, ${env.platform}, ${env.mode} mode (${env.pinned})`;
  process.stdout.write(`\n${header}\n\n${tables.join('\n\n')}\n`);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}latest.json`, `${JSON.stringify({ environment: env, results: rows }, null, 2)}\n`);
  log(`\nwrote ${resultsDir}latest.json`);
}

await main();
