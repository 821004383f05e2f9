import { DuplexError, initDuplex } from '@duplex/server';
import { z } from 'zod';

/** Context of the attack-test router. */
export interface TestContext {
  user: string | null;
}

const d = initDuplex.context<TestContext>().create();

/** Counters the tests read to see what handlers did. */
export const probe = {
  /** Events yielded by `firehose` subscriptions, all connections together. */
  yielded: 0,
  /** Inputs seen by `inspect`: whether each had a non-standard prototype or polluted keys. */
  inspected: [] as Array<{ ownProto: boolean; isAdmin: unknown }>,
};

/** A router with honest, slow, failing and streaming procedures. */
export const router = d.router({
  add: d.procedure.input(z.object({ a: z.number(), b: z.number() })).query(({ input }) => input.a + input.b),
  echo: d.procedure.input(z.unknown()).query(({ input }) => input),
  inspect: d.procedure.input(z.unknown()).mutation(({ input }) => {
    const value = input as Record<string, unknown> | null;
    const ownProto = typeof value === 'object' && value !== null && Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value);
    probe.inspected.push({ ownProto, isAdmin: value?.isAdmin });
    return 'inspected';
  }),
  /** Never settles until the caller cancels or the connection goes. */
  hang: d.procedure.query(
    ({ signal }) =>
      new Promise<never>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  ),
  boom: d.procedure.query((): string => {
    throw new Error('secret at /srv/app/db.ts:42 password=hunter2');
  }),
  forbidden: d.procedure.query((): string => {
    throw new DuplexError({ code: 'FORBIDDEN', message: 'not yours' });
  }),
  badOutput: d.procedure.output(z.string()).query(() => 42 as unknown as string),
  /** `bytes` of text per call, for filling a socket's send buffer. */
  blob: d.procedure.input(z.object({ bytes: z.number().int().max(4_000_000) })).query(({ input }) => 'x'.repeat(input.bytes)),
  /** Waits on the signal: a subscription that never yields. */
  idle: d.procedure.subscription(async function* ({ signal }) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    yield 0;
  }),
  /** Yields `size`-byte events as fast as it is pulled, forever. */
  firehose: d.procedure.input(z.object({ size: z.number().int().max(1_000_000) })).subscription(async function* ({ input }) {
    const chunk = 'y'.repeat(input.size);
    for (let i = 0; ; i++) {
      // A real source waits on I/O between events; without this the loop would be all microtasks.
      await new Promise((resolve) => setImmediate(resolve));
      probe.yielded++;
      yield { i, chunk };
    }
  }),
});

/** The router's type. */
export type TestRouter = typeof router;
