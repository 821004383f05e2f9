import { initDuplex, streamOf } from '@duplex/server';
import { z } from 'zod';

/** What the server's producers did, read by the `stats` query. */
export const counters = { pulled: 0 };

const d = initDuplex.create();
const chunk = streamOf(z.instanceof(Uint8Array));

/** The procedures of the stream scenarios. */
export const streamRouter = d.router({
  /** Upload, fast handler: counts bytes. */
  uploadFast: d.procedure.input(chunk).mutation(async ({ input }) => {
    let bytes = 0;
    for await (const part of input) bytes += part.byteLength;
    return bytes;
  }),
  /** Upload, slow handler: a millisecond of "disk" per chunk, so the client must be held back. */
  uploadSlow: d.procedure.input(chunk).mutation(async ({ input }) => {
    let bytes = 0;
    for await (const part of input) {
      bytes += part.byteLength;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return bytes;
  }),
  /** Two-way: every message back, in order. */
  echo: d.procedure.input(streamOf(z.string())).mutation(async function* ({ input }) {
    for await (const text of input) yield text;
  }),
  /** A producer that never waits: only credit stops it. */
  endless: d.procedure.query(async function* () {
    for (let i = 0; ; i++) {
      counters.pulled++;
      yield i;
    }
  }),
  stats: d.procedure.query(() => ({ ...counters })),
  reset: d.procedure.mutation(() => {
    counters.pulled = 0;
  }),
});
export type StreamRouter = typeof streamRouter;
