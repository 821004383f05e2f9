/**
 * `npm run bench [-- --full] [--systems=raw-ws,duplex] [--scenarios=a,b,h] [--repeats=N] [--duration=ms] [--cpu-prof] [--source] [--base=<git ref>] [--pairs=a:b,c:d] [--list]`:
 * forks a server process and a load generator per system (pinned to separate cores where
 * there are two), runs each scenario with warmup and interleaved repeats, prints one table per
 * scenario and writes results/latest.json. `--list` prints the systems and scenarios and exits.
 * `--base=<git ref>` builds that commit's duplex for the `duplex-base` system (a change against its parent, same run);
 * when both run, each scenario also gets a paired A/B section (`--pairs=duplex-bun:duplex,…` for other pairs).
 * `--repeats` and `--duration` override the mode's repeat count and repeat length.
 *
 * This process itself loads duplex from its sources (the `bench` script passes the
 * `@duplex/source` condition: it only reads the systems' ids and labels, and must start on a
 * fresh clone before any dist exists); the worker processes load the dist built below.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RepeatedScenario } from './client-process.js';
import { type BenchConfig, fullConfig, quickConfig, SCENARIOS, type ScenarioId, takesPart } from './config.js';
import { buildDuplex, buildDuplexAt } from './build-duplex.js';
import { argValue, positiveIntArg } from './cli-args.js';
import { environment } from './environment.js';
import { renderTable, type ScenarioRow } from './report.js';
import { renderPaired } from './paired.js';
import { runIdleMemory, runRepeated, startPair, stopPair, type SystemPair } from './run-scenarios.js';
import { optionalSystems, systems } from './systems/index.js';
import { CLIENT_CORE, killAllWorkers, spawnWorker, stopWorker } from './workers.js';

const args = process.argv.slice(2);
const option = (name: string) => argValue(args, name)?.split(',');
const preset: BenchConfig = args.includes('--full') ? fullConfig : quickConfig;
const config: BenchConfig = {
  ...preset,
  repeats: positiveIntArg(args, 'repeats') ?? preset.repeats,
  durationMs: positiveIntArg(args, 'duration') ?? preset.durationMs,
};
/** The paired A/B sections, `a` against `b` each (`--pairs=a:b,c:d`; by default duplex against duplex-base, when both run). */
const abPairs = (option('pairs') ?? ['duplex:duplex-base']).map((p) => p.split(':')).filter((p): p is [string, string] => p.length === 2);
const systemIds = option('systems');
const scenarioIds = (option('scenarios') ?? SCENARIOS).filter((s): s is ScenarioId => (SCENARIOS as readonly string[]).includes(s));
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
const serverArgs = args.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}prof`] : [];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function roundAll(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

async function main(): Promise<void> {
  if (args.includes('--list')) {
    process.stdout.write(`systems: ${[...systems, ...optionalSystems].map((s) => `${s.id} (${s.label})`).join(', ')}\nscenarios: ${[...SCENARIOS, 'h'].sort().join(', ')}\n`);
    return;
  }
  const env = environment(config);
  const chosen = systemIds ? [...systems, ...optionalSystems].filter((s) => systemIds.includes(s.id)) : systems;
  log(`duplex bench, ${config.mode} mode: ${chosen.map((s) => s.id).join(', ')}; scenarios ${scenarioIds.join(', ')}`);
  if (config.mode === 'quick') {
    log(
      `quick mode: ${config.warmupMs} ms warmup, ${config.repeats} × ${config.durationMs} ms repeats, (d) and (j) ${config.fanOut.events} events per round, (f) at ${config.idleConnections.join(', ')} connections only; --full for longer runs, 200 events and 10,000 connections`,
    );
  }
  if (env.loadAverageAtStart[0] !== undefined && env.loadAverageAtStart[0] > 0.5) {
    log(`note: load average ${env.loadAverageAtStart.join(' ')} before start; other work on this machine adds noise`);
  }
  if (!args.includes('--source')) buildDuplex(log);
  const base = option('base')?.[0];
  if (base) buildDuplexAt(base, log);
  const rows: ScenarioRow[] = [];
  const repeated = scenarioIds.filter((s): s is RepeatedScenario => s !== 'f');
  if (repeated.length) {
    const pairs: SystemPair[] = [];
    try {
      for (const system of chosen.filter((s) => repeated.some((scenario) => takesPart(s, scenario)))) pairs.push(await startPair(system, serverArgs));
      for (const scenario of repeated) {
        const t0 = performance.now();
        const scenarioRows = await runRepeated({ scenario, pairs, config, log });
        rows.push(...scenarioRows);
        for (const row of scenarioRows) log(`  ${scenario} ${row.system}: ${row.error ? `error: ${row.error}` : JSON.stringify(roundAll(row.metrics))}`);
        log(`  ${scenario}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    } finally {
      await Promise.all(pairs.map((pair) => stopPair(pair)));
    }
  }
  if (scenarioIds.includes('f')) {
    const counts = config.idleConnections.filter((n) => n + 1_000 <= fdLimit());
    if (counts.length < config.idleConnections.length) {
      log(`  f: skipping ${config.idleConnections.filter((n) => !counts.includes(n)).join(', ')} connections: raise ulimit -n (now ${fdLimit()})`);
    }
    for (const system of chosen.filter((s) => takesPart(s, 'f'))) {
      const client = spawnWorker('./client-process.ts', { core: CLIENT_CORE });
      try {
        const row = await runIdleMemory({ system, client, counts, serverArgs });
        rows.push(row);
        log(`  f ${system.id}: ${row.error ? `error: ${row.error}` : JSON.stringify(roundAll(row.metrics))}`);
      } finally {
        await stopWorker(client);
      }
    }
  }
  const order = new Map(chosen.map((s, i) => [s.id, i]));
  const tables = scenarioIds.map((scenario) =>
    renderTable(
      scenario,
      rows.filter((row) => row.scenario === scenario).sort((x, y) => (order.get(x.system) ?? 0) - (order.get(y.system) ?? 0)),
      config.idleConnections,
    ),
  );
  const header = `duplex bench — ${env.date}, Node ${env.node}, ${env.cpu} × ${env.cores}, ${env.platform}, ${env.mode} mode (${env.pinned}), load average at start ${env.loadAverageAtStart.join(' ')}`;
  const paired = abPairs.flatMap(([a, b]) => scenarioIds.map((scenario) => renderPaired(scenario, rows, a, b))).filter(Boolean);
  process.stdout.write(`\n${header}\n\n${[...tables, ...paired].join('\n\n')}\n`);
  if (!option('scenarios') || option('scenarios')?.includes('h')) process.stdout.write(pubSubFanOut());
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}latest.json`, `${JSON.stringify({ environment: env, results: rows }, null, 2)}\n`);
  log(`\nwrote ${resultsDir}latest.json`);
}

/**
 * Scenario (h): fan-out through the `@duplex/pubsub` adapters — one publisher, 3 subscriber
 * processes — as ratios to the in-process memory adapter. Redis and NATS take part when
 * REDIS_URL / NATS_URL are set (the packages/pubsub bench, run as a child process).
 */
function pubSubFanOut(): string {
  log('  h: pub/sub fan-out across 3 processes (memory, and Redis / NATS where REDIS_URL / NATS_URL are set)');
  const script = fileURLToPath(new URL('../../pubsub/bench/fan-out.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--conditions=@duplex/source', '--import', 'tsx', script], {
    env: { ...process.env, EVENTS: String(config.mode === 'quick' ? 1_000 : 5_000) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const body = run.status === 0 ? run.stdout.trim() : `failed: ${(run.stderr || run.error?.message || '').trim().slice(0, 500)}`;
  return `\n### (h) pub/sub fan-out across 3 processes\n\n\`\`\`\n${body}\n\`\`\`\n`;
}

/** Soft limit on open files (inherited by the workers); an idle connection costs one fd in each of them. */
function fdLimit(): number {
  // Node has no getrlimit; /proc gives the soft limit on Linux, elsewhere assume the common default.
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /Max open files\s+(\d+)/.exec(limits);
    return match ? Number(match[1]) : 1_024;
  } catch {
    return 1_024;
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllWorkers();
    process.exit(130);
  });
}
await main();
