import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type FaultProxy, seeded, startProxy } from '@duplex/test-utils';
import { createClient } from 'redis';
import type { CounterClient, CounterSystem } from './counter-systems.js';

/**
 * `npm run bench:faults -- --mode=counter`: mutations that each increment a counter, under
 * random link cuts, half-open stalls and SIGKILLed server processes. The server runs in a child
 * process; the counter (and, for duplex, the dedupe window) lives in Redis, so it outlives a kill.
 */

/** How much of each fault to inject. */
export interface CounterConfig {
  mutations: number;
  /** One mutation is started every `paceMs` (open loop: none waits for another). */
  paceMs: number;
  cuts: number;
  stalls: number;
  /** A stalled link is cut after this long (a half-open link that finally dies). */
  stallMs: number;
  /** Server processes SIGKILLed and started again on the same port. */
  kills: number;
  /** After the last fault, how long mutations get to settle before the rest count as unsettled. */
  settleTimeoutMs: number;
  seed: number;
}

export const quickCounter: CounterConfig = {
  mutations: 1_000,
  paceMs: 12,
  cuts: 4,
  stalls: 1,
  stallMs: 9_000,
  kills: 2,
  settleTimeoutMs: 20_000,
  seed: 15,
};

/** What happened to the mutations of one run. */
export interface CounterResult {
  system: string;
  label: string;
  notes: string;
  mutations: number;
  /** Resolved or rejected before the end of the run. */
  settled: number;
  ok: number;
  /** Rejections by error code (or message, for non-duplex errors). */
  failed: Record<string, number>;
  unsettled: number;
  /** Mutations whose effect never happened (recorded zero times). */
  lost: number;
  /** Effects beyond the first (a mutation recorded three times counts two). */
  duplicated: number;
  /** The counter in Redis at the end; equals `mutations` exactly when nothing was lost or doubled. */
  counter: number;
  faults: { cuts: number; stalls: number; kills: number };
  durationMs: number;
}

type Outcome = { ok: true } | { ok: false; code: string };

const serverScript = fileURLToPath(new URL('./counter-server.ts', import.meta.url));
const benchDir = fileURLToPath(new URL('../..', import.meta.url));

/** One system's server process behind a fault proxy, one client through it, and the outcome of every mutation. */
export class CounterRig {
  readonly outcomes: Array<Outcome | undefined> = [];
  private readonly started: Promise<unknown>[] = [];
  private child!: ChildProcess;
  private port = 0;
  private proxy!: FaultProxy;
  private client!: CounterClient;
  private readonly redis;
  readonly faults = { cuts: 0, stalls: 0, kills: 0 };

  private constructor(
    readonly system: CounterSystem,
    private readonly redisUrl: string,
    readonly keyPrefix: string,
  ) {
    this.redis = createClient({ url: redisUrl, RESP: 2 });
    this.redis.on('error', () => {});
  }

  static async start(system: CounterSystem, redisUrl: string, keyPrefix: string): Promise<CounterRig> {
    const rig = new CounterRig(system, redisUrl, keyPrefix);
    await rig.redis.connect();
    await rig.spawn();
    rig.proxy = await startProxy(rig.port);
    rig.client = system.connect(rig.proxy.port);
    return rig;
  }

  /** Forks the server process (port 0 the first time, then the same port again). */
  private async spawn(): Promise<void> {
    const child = fork(serverScript, [], {
      cwd: benchDir,
      execArgv: ['--conditions=@duplex/source', '--import', 'tsx'],
      env: { ...process.env, COUNTER_SYSTEM: this.system.id, COUNTER_PORT: String(this.port), REDIS_URL: this.redisUrl, COUNTER_PREFIX: this.keyPrefix },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`counter server exited early (${String(code)})`)));
      child.once('message', (message) => resolve((message as { port: number }).port));
    });
  }

  /** Starts mutation `id`; its outcome is recorded when it settles. */
  issue(id: number): void {
    this.started.push(
      this.client.bump(id).then(
        () => {
          this.outcomes[id] = { ok: true };
        },
        (error: unknown) => {
          const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
          this.outcomes[id] = { ok: false, code: typeof code === 'string' ? code : `${String(name)}: ${String(message).slice(0, 40)}` };
        },
      ),
    );
  }

  cut(): void {
    this.faults.cuts++;
    this.proxy.cut();
  }

  /** A half-open link for `ms`, then cut. */
  async stall(ms: number): Promise<void> {
    this.faults.stalls++;
    this.proxy.stall();
    await sleep(ms);
    this.proxy.cut();
  }

  /** Stalls the link without cutting it (a half-open link, until the next cut). */
  hold(): void {
    this.faults.stalls++;
    this.proxy.stall();
  }

  /** Makes the server's handlers wait after applying (closed) or lets them answer (open). */
  async gate(state: 'open' | 'close'): Promise<void> {
    await new Promise<void>((resolve, reject) => this.child.send({ gate: state }, (error) => (error ? reject(error) : resolve())));
  }

  /** SIGKILLs the server process (no close frame, nothing flushed) and starts a new one on the same port. */
  async kill(): Promise<void> {
    this.faults.kills++;
    const child = this.child;
    child.removeAllListeners('exit');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    await this.spawn();
  }

  get settledCount(): number {
    return this.outcomes.filter((o) => o !== undefined).length;
  }

  /** Resolves true once every issued mutation settled, false after `timeoutMs`. */
  async waitSettled(timeoutMs: number): Promise<boolean> {
    const all = Promise.all(this.started).then(() => true);
    const timeout = sleep(timeoutMs, false, { ref: false });
    return Promise.race([all, timeout]);
  }

  /** How often each mutation id was applied. */
  async applied(): Promise<Map<number, number>> {
    const flat = await this.redis.sendCommand<string[]>(['HGETALL', `${this.keyPrefix}applied`]);
    const counts = new Map<number, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) counts.set(Number(flat[i]), Number(flat[i + 1]));
    return counts;
  }

  async counter(): Promise<number> {
    return Number((await this.redis.sendCommand<string | null>(['GET', `${this.keyPrefix}counter`])) ?? 0);
  }

  /** duplex only: completed outcomes its dedupe window holds in Redis. */
  async storedOutcomes(): Promise<number> {
    const keys = await this.redis.sendCommand<string[]>(['KEYS', `${this.keyPrefix}dedupe:s:*`]);
    let done = 0;
    for (const key of keys) {
      const values = await this.redis.sendCommand<string[]>(['HVALS', key]);
      done += values.filter((v) => v.startsWith('{"s":"d"')).length;
    }
    return done;
  }

  async tally(mutations: number, durationMs: number): Promise<CounterResult> {
    const applied = await this.applied();
    const failed: Record<string, number> = {};
    let ok = 0;
    for (const outcome of this.outcomes) {
      if (!outcome) continue;
      if (outcome.ok) ok++;
      else failed[outcome.code] = (failed[outcome.code] ?? 0) + 1;
    }
    let lost = 0;
    let duplicated = 0;
    for (let id = 0; id < mutations; id++) {
      const n = applied.get(id) ?? 0;
      if (n === 0) lost++;
      else duplicated += n - 1;
    }
    const settled = this.settledCount;
    return {
      system: this.system.id,
      label: this.system.label,
      notes: this.system.notes,
      mutations,
      settled,
      ok,
      failed,
      unsettled: mutations - settled,
      lost,
      duplicated,
      counter: await this.counter(),
      faults: { ...this.faults },
      durationMs: Math.round(durationMs),
    };
  }

  /** Closes the client (bounded), the proxy and the server process, and deletes the run's keys. */
  async close(): Promise<void> {
    await Promise.race([this.client.close().catch(() => {}), sleep(2_000, undefined, { ref: false })]);
    await this.proxy.close();
    const child = this.child;
    child.removeAllListeners('exit');
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    const keys = await this.redis.sendCommand<string[]>(['KEYS', `${this.keyPrefix}*`]);
    if (keys.length > 0) await this.redis.sendCommand(['DEL', ...keys]);
    await this.redis.close();
  }
}

/** Runs one system through the random schedule of `config`. */
export async function runCounter(system: CounterSystem, config: CounterConfig, redisUrl: string, log: (line: string) => void = () => {}): Promise<CounterResult> {
  const keyPrefix = `duplexbench:${process.pid}:${system.id}:${Date.now()}:`;
  const rig = await CounterRig.start(system, redisUrl, keyPrefix);
  const random = seeded(config.seed);
  const began = performance.now();
  try {
    const issuing = (async () => {
      for (let id = 0; id < config.mutations; id++) {
        rig.issue(id);
        await sleep(config.paceMs);
      }
    })();
    const kinds = [...Array(config.cuts).fill('cut'), ...Array(config.stalls).fill('stall'), ...Array(config.kills).fill('kill')] as Array<'cut' | 'stall' | 'kill'>;
    // Fisher–Yates with the seeded source: the same order for every system.
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j] as 'cut' | 'stall' | 'kill', kinds[i] as 'cut' | 'stall' | 'kill'];
    }
    for (const kind of kinds) {
      await sleep(300 + random() * 1_200);
      const at = Math.round(performance.now() - began);
      if (kind === 'cut') rig.cut();
      else if (kind === 'stall') await rig.stall(config.stallMs);
      else await rig.kill();
      log(`  ${system.id}: ${kind} at ${at} ms (${rig.settledCount} settled)`);
    }
    await issuing;
    await rig.waitSettled(config.settleTimeoutMs);
    return await rig.tally(config.mutations, performance.now() - began);
  } finally {
    await rig.close();
  }
}

/** The results as one Markdown table. */
export function renderCounter(results: readonly CounterResult[]): string {
  const lines = [
    '| system | settled | ok | failed (code: count) | unsettled | lost | duplicated | counter | faults (cuts / stalls / kills) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const failed = Object.entries(r.failed).map(([code, n]) => `${code}: ${n}`).join(', ') || '0';
    lines.push(
      `| ${r.label} | ${r.settled} / ${r.mutations} | ${r.ok} | ${failed} | ${r.unsettled} | ${r.lost} | ${r.duplicated} | ${r.counter} | ${r.faults.cuts} / ${r.faults.stalls} / ${r.faults.kills} |`,
    );
  }
  return lines.join('\n');
}
