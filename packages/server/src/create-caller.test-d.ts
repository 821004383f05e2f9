import { tracked } from '@duplex/core';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createCaller } from './create-caller.js';
import { initDuplex } from './init.js';

interface User {
  id: string;
}
const d = initDuplex.context<{ user: User | null }>().create();
const router = d.router({
  greet: d.procedure
    .input(z.object({ name: z.string().min(1) }))
    .output(z.string())
    .query(({ input }) => `Hello ${input.name}`),
  noInput: d.procedure.query(() => 42),
  post: d.router({
    add: d.procedure.input(z.object({ text: z.string() })).mutation(({ input }) => ({ id: 'p1', at: new Date(), text: input.text })),
  }),
  onPost: d.procedure.input(z.object({ room: z.string() })).subscription(async function* () {
    yield tracked('1', { text: 'hi' });
  }),
  ticks: d.procedure.subscription(async function* () {
    yield 1;
  }),
});

describe('createCaller types', () => {
  const caller = createCaller(router, { user: null });

  it('infers inputs and outputs from the router', () => {
    expectTypeOf(caller.greet.query({ name: 'Ada' })).toEqualTypeOf<Promise<string>>();
    expectTypeOf(caller.noInput.query()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(caller.post.add.mutate({ text: 'x' }, { signal: AbortSignal.abort() })).toEqualTypeOf<
      Promise<{ id: string; at: Date; text: string }>
    >();
    expectTypeOf(caller.onPost.iterate({ room: 'r' }, { lastEventId: '1' })).toEqualTypeOf<AsyncIterable<{ text: string }>>();
    expectTypeOf(caller.ticks.iterate()).toEqualTypeOf<AsyncIterable<number>>();
  });

  it('refuses wrong inputs, paths and methods', () => {
    // @ts-expect-error name must be a string
    void caller.greet.query({ name: 1 });
    // @ts-expect-error the input is required
    void caller.greet.query();
    // @ts-expect-error no such path
    void caller.gret.query({ name: 'x' });
    // @ts-expect-error a query has no mutate
    void caller.greet.mutate({ name: 'x' });
    // @ts-expect-error a subscription is iterated, not subscribed (no callbacks on the server)
    void caller.onPost.subscribe({ room: 'r' });
  });

  it('types the context, as a value or a (possibly async) function', () => {
    createCaller(router, async () => ({ user: { id: 'u' } }));
    createCaller(router, () => ({ user: null }));
    // @ts-expect-error the context lacks user
    createCaller(router, {});
    // @ts-expect-error the function returns the wrong context
    createCaller(router, async () => ({ user: 1 }));
    const open = initDuplex.create().router({ hi: initDuplex.create().procedure.query(() => 'hi') });
    expectTypeOf(createCaller(open, {}).hi.query()).toEqualTypeOf<Promise<string>>();
  });
});
