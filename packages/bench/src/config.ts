/** Durations and sizes of one bench run. */
export interface BenchConfig {
  mode: 'quick' | 'full';
  /** Closed-loop warmup before the first measured repeat. */
  warmupMs: number;
  /** Each measured repeat of scenarios (a), (b), (c), (e), (i). */
  durationMs: number;
  /** Repeats per scenario; the median is reported. */
  repeats: number;
  fanOut: { subscribers: number; events: number; warmupEvents: number; timeoutMs: number };
  /** Connection counts of scenario (f). */
  idleConnections: number[];
  /** Sequential connect + first call samples per repeat of scenario (g). */
  connectSamples: number;
}

/** Default: about 9 minutes for all eleven systems on 2 cores (measured 2026-12-03 at load 4.6, build included); fan-out sends 100 events per round, not 200. */
export const quickConfig: BenchConfig = {
  mode: 'quick',
  warmupMs: 500,
  durationMs: 1_000,
  repeats: 3,
  fanOut: { subscribers: 1_000, events: 100, warmupEvents: 20, timeoutMs: 60_000 },
  idleConnections: [2_000],
  connectSamples: 100,
};

/** `--full`: longer repeats, five of them, and 10,000 idle connections. */
export const fullConfig: BenchConfig = {
  mode: 'full',
  warmupMs: 2_000,
  durationMs: 5_000,
  repeats: 5,
  fanOut: { subscribers: 1_000, events: 200, warmupEvents: 200, timeoutMs: 120_000 },
  idleConnections: [2_000, 10_000],
  connectSamples: 300,
};

/** Scenario ids in run order; (f) runs on a fresh server of its own, (h) is the pub/sub bench. */
export const SCENARIOS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'i', 'j', 'k'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

/**
 * Scenarios with `Date` and `Map` values: only systems whose wire carries them take part, and
 * ratios are to the typed floor (raw ws + zod + superjson), since the plain floor cannot carry them.
 */
export const RICH_SCENARIOS: ReadonlySet<ScenarioId> = new Set(['i', 'j']);

/** The system each scenario's ratios are taken against; (k), the HTTP comparison, against tRPC's httpBatchLink. */
export function floorOf(scenario: ScenarioId): string {
  if (scenario === 'k') return 'trpc-http';
  return RICH_SCENARIOS.has(scenario) ? 'raw-ws-typed' : 'raw-ws';
}

/** Whether `system` runs `scenario`: the rich ones need rich types; a system listing its scenarios runs those; (k) is for HTTP systems. */
export function takesPart(system: { richTypes: boolean; scenarios?: readonly ScenarioId[] }, scenario: ScenarioId): boolean {
  if (RICH_SCENARIOS.has(scenario) && !system.richTypes) return false;
  return system.scenarios ? system.scenarios.includes(scenario) : scenario !== 'k';
}

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  a: '(a) one call in flight',
  b: '(b) 64 calls in flight on one socket',
  c: '(c) 100 sockets × 8 calls in flight',
  d: '(d) subscription fan-out to 1,000 subscribers (200 events per round; 100 in quick mode)',
  e: '(e) 10 KB object round trip, 8 in flight on one socket',
  f: '(f) idle memory per connection (server, after gc)',
  g: '(g) connect + first call',
  i: '(i) Date+Map echo (mutation, zod input), 64 calls in flight on one socket; ratios to raw ws + zod + superjson',
  k: '(k) 100 concurrent queries from one client over HTTP; ratios to tRPC httpBatchLink',
  j: '(j) fan-out of events carrying a Date to 1,000 subscribers; ratios to raw ws + zod + superjson',
};
