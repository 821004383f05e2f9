import { EventEmitter, on } from 'node:events';
import { DuplexError } from '@duplex/server';

/** One progress report of a job; `step` is its event id, so a watcher can resume after it. */
export interface JobProgress {
  jobId: string;
  step: number;
  total: number;
  phase: 'running' | 'done' | 'cancelled';
  /** Primes found so far (the final answer once `phase` is `'done'`). */
  found: number;
}

interface Job {
  id: string;
  limit: number;
  /** Every progress report so far, oldest first (at most `chunks + 1`). */
  log: JobProgress[];
  controller: AbortController;
}

/**
 * Runs jobs in this process and keeps their progress, so any number of watchers can follow a
 * job, leave and come back. The job is real work: counting primes below `limit`, chunk by chunk.
 */
export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private readonly events = new EventEmitter();
  private nextId = 1;

  constructor() {
    this.events.setMaxListeners(0);
  }

  start(limit: number, chunks: number): string {
    const job: Job = { id: `job-${this.nextId++}`, limit, log: [], controller: new AbortController() };
    this.jobs.set(job.id, job);
    this.record(job, { jobId: job.id, step: 0, total: chunks, phase: 'running', found: 0 });
    void this.run(job, chunks);
    return job.id;
  }

  cancel(jobId: string): boolean {
    const job = this.get(jobId);
    const running = job.log.at(-1)?.phase === 'running';
    job.controller.abort();
    return running;
  }

  /** The job's reports after step `after` (all without it), then live ones until it ends. */
  async *watch(jobId: string, after: number | undefined, signal: AbortSignal): AsyncGenerator<JobProgress> {
    const job = this.get(jobId);
    // Listen before reading the log, so no report falls between the two.
    const live = on(this.events, job.id, { signal }) as AsyncIterableIterator<[JobProgress]>;
    async function* logThenLive(): AsyncGenerator<JobProgress> {
      yield* job.log;
      for await (const [progress] of live) yield progress;
    }
    let last = after ?? -1;
    try {
      for await (const progress of logThenLive()) {
        if (progress.step <= last) continue;
        last = progress.step;
        yield progress;
        if (progress.phase !== 'running') return;
      }
    } catch (error) {
      if (!signal.aborted) throw error; // aborted: the watcher left, which is not an error
    } finally {
      await live.return?.();
    }
  }

  /** Live progress listeners over all jobs: zero once every watcher has gone. */
  watcherCount(): number {
    // events.on() also listens to 'error'; count the job channels only.
    return this.events.eventNames().reduce((sum, name) => sum + (name === 'error' ? 0 : this.events.listenerCount(name)), 0);
  }

  /** Stops every running job. */
  dispose(): void {
    for (const job of this.jobs.values()) job.controller.abort();
  }

  private async run(job: Job, chunks: number): Promise<void> {
    const size = Math.ceil(job.limit / chunks);
    let found = 0;
    for (let step = 1; step <= chunks; step++) {
      // Give the event loop a turn between chunks: sockets stay served while a job runs.
      await new Promise((resolve) => setImmediate(resolve));
      if (job.controller.signal.aborted) {
        this.record(job, { jobId: job.id, step, total: chunks, phase: 'cancelled', found });
        return;
      }
      found += countPrimes((step - 1) * size, Math.min(step * size, job.limit));
      this.record(job, { jobId: job.id, step, total: chunks, phase: step === chunks ? 'done' : 'running', found });
    }
  }

  private record(job: Job, progress: JobProgress): void {
    job.log.push(progress);
    this.events.emit(job.id, progress);
  }

  private get(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (!job) throw new DuplexError({ code: 'NOT_FOUND', message: `no job "${jobId}"` });
    return job;
  }
}

/** Primes in [from, to), by trial division: slow on purpose, so progress is worth watching. */
export function countPrimes(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = n === 2 || n % 2 === 1;
    for (let d = 3; prime && d * d <= n; d += 2) if (n % d === 0) prime = false;
    if (prime) count++;
  }
  return count;
}
