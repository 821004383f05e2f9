import { initDuplex } from '@duplex/server';
import { z } from 'zod';

const d = initDuplex.create();

/** Procedures that move bytes both ways, for the browser test of binary frames. */
export const bytesRouter = d.router({
  /** Returns the bytes reversed, with their length: the input arrived as bytes. */
  reverse: d.procedure
    .input(z.object({ name: z.string(), bytes: z.instanceof(Uint8Array) }))
    .mutation(({ input }) => ({ name: input.name, length: input.bytes.byteLength, reversed: input.bytes.slice().reverse() })),
  /** `count` events, each holding `size` bytes of value `i`. */
  chunks: d.procedure.input(z.object({ count: z.number().int().max(20), size: z.number().int().max(100_000) })).subscription(async function* ({ input }) {
    for (let i = 0; i < input.count; i++) yield { i, bytes: new Uint8Array(input.size).fill(i) };
  }),
});
export type BytesRouter = typeof bytesRouter;
