import type { SystemClient } from '../system.js';

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  clients: readonly SystemClient[];
  /** Calls kept in flight on each client. */
  inFlight: number;
  durationMs: number;
  call: (client: SystemClient) => Promise<unknown>;
  /** Keep each call's latency in µs (scenario a). @default false */
  recordLatency?: boolean;
}

/** What one closed-loop run measured. */
export interface ClosedLoopResult {
  calls: number;
  elapsedMs: number;
  latenciesUs: number[];
}

/** Bound on kept latency samples, so a long run cannot grow memory without limit. */
const MAX_SAMPLES = 2_000_000;

/**
 * Keeps `inFlight` calls outstanding on every client for `durationMs`: each worker issues its
 * next call as soon as the previous one resolves. Calls still in flight at the end are awaited
 * but not counted.
 */
export async function runClosedLoop(opts: ClosedLoopOptions): Promise<ClosedLoopResult> {
  let stopped = false;
  let calls = 0;
  const latenciesUs: number[] = [];
  const start = performance.now();
  const timer = setTimeout(() => {
    stopped = true;
  }, opts.durationMs);
  let end = start;
  async function worker(client: SystemClient): Promise<void> {
    while (!stopped) {
      const t0 = performance.now();
      await opts.call(client);
      if (stopped) break;
      const t1 = performance.now();
      calls++;
      end = t1;
      if (opts.recordLatency && latenciesUs.length < MAX_SAMPLES) latenciesUs.push((t1 - t0) * 1000);
    }
  }
  const workers: Promise<void>[] = [];
  for (const client of opts.clients) for (let i = 0; i < opts.inFlight; i++) workers.push(worker(client));
  try {
    await Promise.all(workers);
  } finally {
    clearTimeout(timer);
  }
  return { calls, elapsedMs: end - start, latenciesUs };
}
