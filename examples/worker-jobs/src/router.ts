import { initDuplex, tracked } from '@duplex/server';
import { z } from 'zod';
import type { JobRunner } from './jobs.js';

const d = initDuplex.context<{ jobs: JobRunner }>().create();

export const jobRouter = d.router({
  jobs: d.router({
    /** Starts counting the primes below `limit` in `chunks` steps; returns the job id at once. */
    start: d.procedure
      .input(z.object({ limit: z.number().int().min(2).max(50_000_000), chunks: z.number().int().min(1).max(1_000).default(50) }))
      .mutation(({ ctx, input }) => ({ jobId: ctx.jobs.start(input.limit, input.chunks) })),
    /** Stops a job; true if it was still running. */
    cancel: d.procedure.input(z.object({ jobId: z.string() })).mutation(({ ctx, input }) => ctx.jobs.cancel(input.jobId)),
    /**
     * Progress of a job, each report tracked by its step: after a reconnect the client resumes
     * from the last step it saw. Ends when the job is done or cancelled.
     */
    progress: d.procedure.input(z.object({ jobId: z.string() })).subscription(async function* ({ ctx, input, signal, lastEventId }) {
      const after = lastEventId === undefined ? undefined : Number(lastEventId);
      for await (const progress of ctx.jobs.watch(input.jobId, after, signal)) yield tracked(String(progress.step), progress);
    }),
  }),
});

export type JobRouter = typeof jobRouter;
