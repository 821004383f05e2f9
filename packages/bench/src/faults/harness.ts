import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultProxy, startProxy } from '@duplex/test-utils';
import { percentile } from '../stats.js';
import { SeqClock } from './source.js';
import type { FaultClient, FaultServer, FaultSystem } from './systems.js';

/** How much of each fault to run. */
export interface FaultConfig {
  mode: 'quick' | 'full' | 'custom';
  /** Clean cuts of one client's link. */
  cuts: number;
  /** How long to wait for a half-open link to be replaced; 0 skips the stall scenario. */
  stallCapMs: number;
  /** Server restarts (crash, 100 ms down, fresh instance on the same port). */
  restarts: number;
  /** Clients cut at once; 0 skips the storm scenario. */
  stormClients: number;
  stormRounds: number;
  /** Longest wait for recovery after a cut or a restart before the sample counts as a timeout. */
  recoverTimeoutMs: number;
}

export const quickFaults: FaultConfig = {
  mode: 'quick',
  cuts: 10,
  stallCapMs: 15_000,
  restarts: 5,
  stormClients: 100,
  stormRounds: 2,
  recoverTimeoutMs: 10_000,
};
export const fullFaults: FaultConfig = {
  mode: 'full',
  cuts: 50,
  stallCapMs: 60_000,
  restarts: 10,
  stormClients: 100,
  stormRounds: 5,
  recoverTimeoutMs: 20_000,
};

/** Events one client saw, in arrival order. */
export class Recorder {
  readonly seqs: number[] = [];
  readonly times: number[] = [];
  /** Link generation of each event: how many links had opened when it arrived. */
  readonly links: number[] = [];
  /** When each link opened. */
  readonly openTimes: number[] = [];

  /** Links opened so far. */
  get opened(): number {
    return this.openTimes.length;
  }

  open(): void {
    this.openTimes.push(performance.now());
  }

  add(seq: number): void {
    this.seqs.push(seq);
    this.times.push(performance.now());
    this.links.push(this.opened);
  }

  get lastTime(): number {
    return this.times.at(-1) ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * Arrival time of the first event after `t` on a link opened after link `link`, if any yet.
   * Events still buffered from the link that was cut do not count as a recovery.
   */
  firstAfter(t: number, link: number): number | undefined {
    // Arrivals are in time order: scan back from the newest.
    let found: number | undefined;
    for (let i = this.times.length - 1; i >= 0; i--) {
      const time = this.times[i] as number;
      if (time <= t) break;
      if ((this.links[i] as number) > link) found = time;
    }
    return found;
  }
}

/** Lost, duplicated and out-of-order events, counted over the whole run of each client. */
export interface Integrity {
  events: number;
  /** Seqs between a client's first and last seq that it never received. */
  lost: number;
  /** Receptions of a seq already received. */
  duplicated: number;
  /** First receptions of a seq lower than one received before. */
  outOfOrder: number;
}

export function integrity(recorders: readonly Recorder[]): Integrity {
  const total: Integrity = { events: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
  for (const { seqs } of recorders) {
    if (seqs.length === 0) continue;
    const seen = new Set<number>();
    let max = Number.NEGATIVE_INFINITY;
    let min = Number.POSITIVE_INFINITY;
    for (const seq of seqs) {
      total.events++;
      if (seen.has(seq)) {
        total.duplicated++;
        continue;
      }
      seen.add(seq);
      if (seq < max) total.outOfOrder++;
      max = Math.max(max, seq);
      min = Math.min(min, seq);
    }
    total.lost += max - min + 1 - seen.size;
  }
  return total;
}

/** Polls `predicate` every 5 ms; false when `timeoutMs` passes first. */
async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** One system's server behind a fault proxy, with clients connected through it. */
class Rig {
  readonly recorders: Recorder[] = [];
  private readonly clients: FaultClient[] = [];

  private constructor(
    readonly system: FaultSystem,
    readonly clock: SeqClock,
    public server: FaultServer,
    readonly proxy: FaultProxy,
  ) {}

  static async start(system: FaultSystem, clients: number): Promise<Rig> {
    const clock = new SeqClock();
    const server = await system.startServer(clock, 0);
    const proxy = await startProxy(server.port);
    const rig = new Rig(system, clock, server, proxy);
    for (let i = 0; i < clients; i++) {
      const recorder = new Recorder();
      rig.recorders.push(recorder);
      rig.clients.push(
        system.connect(
          proxy.port,
          (seq) => recorder.add(seq),
          () => recorder.open(),
        ),
      );
    }
    if (!(await waitFor(() => rig.recorders.every((r) => r.seqs.length >= 3), 15_000))) {
      await rig.close();
      throw new Error(`${system.id}: events did not start flowing to ${clients} client(s) within 15 s`);
    }
    return rig;
  }

  /** Lets the links settle (backoffs reset), then waits until every client got an event in the last 50 ms. */
  async settle(ms: number): Promise<void> {
    await sleep(ms);
    const ok = await waitFor(() => {
      const recent = performance.now() - 50;
      return this.recorders.every((r) => r.lastTime > recent);
    }, 15_000);
    if (!ok) throw new Error(`${this.system.id}: events are not flowing before the next fault`);
  }

  /** Crashes the server, keeps the port down `downMs`, starts a fresh instance on the same port. */
  async restart(downMs: number): Promise<void> {
    const { port } = this.server;
    await this.server.crash();
    await sleep(downMs);
    this.server = await this.system.startServer(this.clock, port);
  }

  /** Link generation of every client now (call right before a fault). */
  marks(): number[] {
    return this.recorders.map((r) => r.opened);
  }

  /**
   * Ms from the fault at `t` to each client's first event on a link newer than `marks`;
   * `undefined` for a client still waiting at the timeout.
   */
  async recoveries(t: number, marks: readonly number[], timeoutMs: number): Promise<Array<number | undefined>> {
    const first = (r: Recorder, i: number) => r.firstAfter(t, marks[i] as number);
    await waitFor(() => this.recorders.every((r, i) => first(r, i) !== undefined), timeoutMs);
    return this.recorders.map((r, i) => {
      const time = first(r, i);
      return time === undefined ? undefined : time - t;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => {})));
    await this.proxy.close();
    await this.server.crash();
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

export interface TimedResult {
  system: string;
  label: string;
  notes: string;
  /** Ms from the fault to the next event, one per fault that recovered. */
  samples: number[];
  p50: number | null;
  p99: number | null;
  /** Faults after which no event came within the timeout. */
  timeouts: number;
  integrity: Integrity;
}

function timed(system: FaultSystem, samples: number[], timeouts: number, recorders: readonly Recorder[]): TimedResult {
  return {
    system: system.id,
    label: system.label,
    notes: system.notes,
    samples: samples.map(round),
    p50: samples.length ? round(percentile(samples, 50)) : null,
    p99: samples.length ? round(percentile(samples, 99)) : null,
    timeouts,
    integrity: integrity(recorders),
  };
}

/**
 * Injects `fault` `times` times into one client's link, each after `settleMs` of steady events,
 * and times each recovery: the fault → the first event on a link opened after it.
 */
async function repeatFault(
  system: FaultSystem,
  config: FaultConfig,
  times: number,
  settleMs: () => number,
  fault: (rig: Rig) => void | Promise<void>,
): Promise<TimedResult> {
  const rig = await Rig.start(system, 1);
  const samples: number[] = [];
  let timeouts = 0;
  try {
    for (let i = 0; i < times; i++) {
      await rig.settle(settleMs());
      const marks = rig.marks();
      const t = performance.now();
      await fault(rig);
      const [ms] = await rig.recoveries(t, marks, config.recoverTimeoutMs);
      if (ms === undefined) timeouts++;
      else samples.push(ms);
    }
    // Let the last resume finish before counting.
    await rig.settle(200);
  } finally {
    await rig.close();
  }
  return timed(system, samples, timeouts, rig.recorders);
}

/** (1) Clean cuts: every link through the proxy destroyed, `cuts` times. */
export function runCuts(system: FaultSystem, config: FaultConfig): Promise<TimedResult> {
  return repeatFault(system, config, config.cuts, () => 200 + Math.random() * 50, (rig) => rig.proxy.cut());
}

export interface StallResult {
  system: string;
  label: string;
  notes: string;
  /** Ms from the stall to the next event (necessarily on a new link); null: not within the cap. */
  ms: number | null;
  capMs: number;
  /** Counted after the link was finally cut (if the system never noticed) and the client resumed. */
  integrity: Integrity;
}

/** (2) Half-open: the link stops forwarding and hides closes; how long until events flow on a new link. */
export async function runStall(system: FaultSystem, config: FaultConfig): Promise<StallResult> {
  const rig = await Rig.start(system, 1);
  let ms: number | null = null;
  try {
    await rig.settle(200);
    const marks = rig.marks();
    const t = performance.now();
    rig.proxy.stall();
    const [recovered] = await rig.recoveries(t, marks, config.stallCapMs);
    ms = recovered === undefined ? null : recovered;
    // Whether or not the system noticed, end the half-open link so the client resumes and
    // the integrity count covers a completed recovery.
    const marksAfter = rig.marks();
    const after = performance.now();
    rig.proxy.cut();
    await rig.recoveries(after, marksAfter, config.recoverTimeoutMs);
    await rig.settle(200);
  } finally {
    await rig.close();
  }
  return {
    system: system.id,
    label: system.label,
    notes: system.notes,
    ms: ms === null ? null : round(ms),
    capMs: config.stallCapMs,
    integrity: integrity(rig.recorders),
  };
}

/** (3) Server restarts: crash (all sockets destroyed, listener closed), 100 ms down, new instance on the same port. */
export function runRestarts(system: FaultSystem, config: FaultConfig): Promise<TimedResult> {
  return repeatFault(system, config, config.restarts, () => 300, (rig) => rig.restart(100));
}

export interface StormResult {
  system: string;
  label: string;
  notes: string;
  clients: number;
  rounds: number;
  /** Over every client of every round: ms from the cut to the client's next event. */
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Client-rounds with no event within the timeout. */
  unrecovered: number;
  /** Largest share of one round's clients whose new link opened in the same 100 ms window. */
  maxShareIn100ms: number;
  integrity: Integrity;
}

/** Most values of sorted `times` within any window `[x, x + width)`. */
export function maxInWindow(times: readonly number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= width) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** (4) `stormClients` clients, all their links cut at once, `stormRounds` times. */
export async function runStorm(system: FaultSystem, config: FaultConfig): Promise<StormResult> {
  const rig = await Rig.start(system, config.stormClients);
  const all: number[] = [];
  let unrecovered = 0;
  let maxShare = 0;
  try {
    for (let i = 0; i < config.stormRounds; i++) {
      await rig.settle(300);
      const marks = rig.marks();
      const t = performance.now();
      rig.proxy.cut();
      const times = await rig.recoveries(t, marks, config.recoverTimeoutMs);
      const got = times.filter((ms): ms is number => ms !== undefined);
      unrecovered += times.length - got.length;
      all.push(...got);
      // Reconnect instants: when each client's first link after the cut opened.
      const opens = rig.recorders.map((r, c) => r.openTimes[marks[c] as number]).filter((o): o is number => o !== undefined);
      maxShare = Math.max(maxShare, maxInWindow(opens, 100) / config.stormClients);
    }
    await rig.settle(200);
  } finally {
    await rig.close();
  }
  return {
    system: system.id,
    label: system.label,
    notes: system.notes,
    clients: config.stormClients,
    rounds: config.stormRounds,
    p50: all.length ? round(percentile(all, 50)) : null,
    p99: all.length ? round(percentile(all, 99)) : null,
    max: all.length ? round(Math.max(...all)) : null,
    unrecovered,
    maxShareIn100ms: Math.round(maxShare * 100) / 100,
    integrity: integrity(rig.recorders),
  };
}

export interface FaultResults {
  cuts: TimedResult[];
  stalls: StallResult[];
  restarts: TimedResult[];
  storms: StormResult[];
}

/** Runs every scenario the config enables, each system in turn; `log` gets one line per finished row. */
export async function runFaults(
  systems: readonly FaultSystem[],
  config: FaultConfig,
  log: (line: string) => void = () => {},
): Promise<FaultResults> {
  const results: FaultResults = { cuts: [], stalls: [], restarts: [], storms: [] };
  for (const system of systems) {
    if (config.cuts > 0) {
      const r = await runCuts(system, config);
      results.cuts.push(r);
      log(`cut      ${system.id}: p50 ${r.p50} ms, p99 ${r.p99} ms, timeouts ${r.timeouts}`);
    }
    if (config.stallCapMs > 0) {
      const r = await runStall(system, config);
      results.stalls.push(r);
      log(`stall    ${system.id}: ${r.ms === null ? `> ${r.capMs} ms` : `${r.ms} ms`}`);
    }
    if (config.restarts > 0) {
      const r = await runRestarts(system, config);
      results.restarts.push(r);
      log(`restart  ${system.id}: p50 ${r.p50} ms, p99 ${r.p99} ms, timeouts ${r.timeouts}`);
    }
    if (config.stormClients > 0 && config.stormRounds > 0) {
      const r = await runStorm(system, config);
      results.storms.push(r);
      log(`storm    ${system.id}: p99 ${r.p99} ms, max share/100 ms ${r.maxShareIn100ms}`);
    }
  }
  return results;
}
