// router.ts — the API: procedures with zod-validated inputs
import { initDuplex, tracked } from '@duplex/server';
import { z } from 'zod';

const d = initDuplex.create();

export const appRouter = d.router({
  greet: d.procedure
    .input(z.object({ name: z.string().min(1) }))
    .query(({ input }) => `Hello ${input.name}`),

  countdown: d.procedure
    .input(z.object({ from: z.number().int().min(1).max(10) }))
    .subscription(async function* ({ input, lastEventId }) {
      // tracked(id, value) gives each event an id; after a reconnect the client
      // resumes, and lastEventId says where it left off.
      const start = lastEventId === undefined ? input.from : Number(lastEventId) - 1;
      for (let n = start; n >= 0; n--) yield tracked(String(n), { n, at: new Date() });
    }),
});

// The only thing the client needs from the server: a type.
export type AppRouter = typeof appRouter;
