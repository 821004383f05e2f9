import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from '@duplex/client';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { buildPrograms } from '../scripts/build.mjs';
import { startJobServer } from '../src/job-server.js';
import { countPrimes, type JobProgress, JobRunner } from '../src/jobs.js';
import { progressBar } from '../src/progress-bar.js';
import type { JobRouter } from '../src/router.js';
import { runJob } from '../src/watch-job.js';

const run = promisify(execFile);

function collect() {
  let text = '';
  return { write: (chunk: string) => (text += chunk), isTTY: false, text: () => text };
}

describe('worker-jobs', () => {
  it('counts primes and draws a bar', () => {
    expect(countPrimes(0, 100)).toBe(25);
    expect(countPrimes(0, 10) + countPrimes(10, 100)).toBe(25);
    expect(progressBar(0, 4, 8)).toBe('[--------]   0%  0/4');
    expect(progressBar(2, 4, 8)).toBe('[####----]  50%  2/4');
    expect(progressBar(4, 4, 8)).toBe('[########] 100%  4/4');
  });

  it('streams a job\u2019s progress to the CLI client until it is done', async () => {
    await using server = await startJobServer();
    const out = collect();
    const last = await runJob({ url: server.url, limit: 100_000, chunks: 10, out });
    expect(last).toMatchObject({ phase: 'done', step: 10, total: 10, found: 9592 });
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toMatch(/^job-1: counting primes below 100000$/);
    expect(lines.filter((line) => line.startsWith('['))).toHaveLength(11); // step 0 … 10, none twice
    expect(lines.at(-2)).toContain('100%  10/10  9592 primes');
    expect(lines.at(-1)).toBe('done: 9592 primes below 100000');
    // The client has closed; the server lets go of the connection once it sees the close.
    await vi.waitFor(() => expect(server.server.stats()).toEqual({ connections: 0, calls: 0, subscriptions: 0, bufferedBytes: 0 }));
  });

  it('replays only the reports after the last step a watcher saw', async () => {
    const jobs = new JobRunner();
    const jobId = jobs.start(1_000, 4);
    const first: JobProgress[] = [];
    for await (const progress of jobs.watch(jobId, undefined, new AbortController().signal)) first.push(progress);
    expect(first.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    const resumed: number[] = [];
    for await (const progress of jobs.watch(jobId, 2, new AbortController().signal)) resumed.push(progress.step);
    expect(resumed).toEqual([3, 4]);
    // A watcher that leaves mid-job lets go of its listener.
    const controller = new AbortController();
    const running = jobs.start(50_000_000, 1_000);
    for await (const progress of jobs.watch(running, undefined, controller.signal)) {
      expect(jobs.watcherCount()).toBe(1);
      if (progress.step === 1) controller.abort();
    }
    expect(jobs.watcherCount()).toBe(0);
    jobs.dispose();
    expect(first.at(-1)).toMatchObject({ phase: 'done', found: 168 });
  });

  it('cancels a running job; its watchers see the end', async () => {
    await using server = await startJobServer();
    const client = createClient<JobRouter>({ url: server.url, WebSocket });
    try {
      const { jobId } = await client.jobs.start.mutate({ limit: 50_000_000, chunks: 1_000 });
      const phases: string[] = [];
      for await (const progress of client.jobs.progress.iterate({ jobId })) {
        phases.push(progress.phase);
        if (progress.step === 1) expect(await client.jobs.cancel.mutate({ jobId })).toBe(true);
      }
      expect(phases.at(-1)).toBe('cancelled');
      expect(phases.length).toBeLessThan(1_000);
      expect(await client.jobs.cancel.mutate({ jobId })).toBe(false);
      const missing = await client.jobs.progress.iterate({ jobId: 'job-404' })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
      expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await client.close();
    }
  });

  it('runs as built programs: the CLI against the server', async () => {
    const dist = await buildPrograms();
    await using server = await startJobServer();
    const { stdout } = await run(process.execPath, [`${dist}/cli.js`, '--url', server.url, '--limit', '20000', '--chunks', '4'], { timeout: 30_000 });
    expect(stdout).toContain('[##############################] 100%  4/4  2262 primes');
    expect(stdout.trim().split('\n').at(-1)).toBe('done: 2262 primes below 20000');
  });
});
