import { createClient } from '@duplex/client';
import { WebSocket } from 'ws';
import { progressBar } from './progress-bar.js';
import type { JobProgress } from './jobs.js';
import type { JobRouter } from './router.js';

/** Where the CLI writes: process.stdout, or a collecting stream in tests. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  /** `ws://` URL of the job server. */
  url: string;
  /** Count primes below this. */
  limit: number;
  /** Progress reports (and bar updates) per job. @default 50 */
  chunks?: number;
  out: Output;
}

/**
 * Starts a job on the server and draws its progress until it ends; resolves with the last report.
 * On a terminal the bar redraws in place; elsewhere each report is a line.
 */
export async function runJob(options: RunJobOptions): Promise<JobProgress> {
  // Node 20 has no global WebSocket; Node 22+ could omit this option.
  const client = createClient<JobRouter>({ url: options.url, WebSocket });
  try {
    const { jobId } = await client.jobs.start.mutate({ limit: options.limit, chunks: options.chunks ?? 50 });
    options.out.write(`${jobId}: counting primes below ${options.limit}\n`);
    let last: JobProgress | undefined;
    for await (const progress of client.jobs.progress.iterate({ jobId })) {
      last = progress;
      const line = `${progressBar(progress.step, progress.total)}  ${progress.found} primes`;
      options.out.write(options.out.isTTY ? `\r${line}` : `${line}\n`);
    }
    if (!last) throw new Error(`job ${jobId} reported nothing`);
    options.out.write(`${options.out.isTTY ? '\n' : ''}${last.phase}: ${last.found} primes below ${options.limit}\n`);
    return last;
  } finally {
    await client.close();
  }
}
