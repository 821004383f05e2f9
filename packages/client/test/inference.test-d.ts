import { createClient, type DuplexError } from '@duplex/client';
import type { InferRouterInputs, InferRouterOutputs, StandardSchemaV1 } from '@duplex/core';
import { DuplexError as ServerError, initDuplex, tracked } from '@duplex/server';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

interface User {
  id: string;
  name: string;
}
const d = initDuplex.context<{ user: User | null }>().create();
const authed = d.procedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new ServerError({ code: 'UNAUTHORIZED' });
  return next({ ctx: { user: ctx.user } });
});

const appRouter = d.router({
  greet: d.procedure
    .input(z.object({ name: z.string().min(1) }))
    .output(z.string())
    .query(({ input }) => `Hello ${input.name}`),
  noInput: d.procedure.query(() => 42),
  rich: d.procedure.query(() => ({ at: new Date(), map: new Map<string, bigint>(), big: 1n, set: new Set<number>() })),
  me: authed.query(({ ctx }) => {
    expectTypeOf(ctx.user).toEqualTypeOf<User>();
    return ctx.user;
  }),
  post: d.router({
    add: authed.input(z.object({ text: z.string().max(280) })).mutation(async ({ input }) => ({ id: 'p1', text: input.text })),
  }),
  transformed: d.procedure.input(z.object({ n: z.string().transform(Number) })).query(({ input }) => {
    expectTypeOf(input.n).toEqualTypeOf<number>();
    return input.n;
  }),
  onPost: d.procedure.input(z.object({ room: z.string() })).subscription(async function* ({ lastEventId, signal }) {
    expectTypeOf(lastEventId).toEqualTypeOf<string | undefined>();
    expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
    yield tracked('1', { id: '1', text: 'hi', at: new Date() });
  }),
  ticks: d.procedure.subscription(async function* () {
    yield 1;
  }),
  fromIterable: d.procedure.input(z.object({ from: z.number() }).optional()).subscription(({ input }) => {
    expectTypeOf(input).toEqualTypeOf<{ from: number } | undefined>();
    return {
      async *[Symbol.asyncIterator]() {
        yield tracked('1', { n: 1 });
      },
    };
  }),
  fromPromise: d.procedure.subscription(async () => ({
    async *[Symbol.asyncIterator]() {
      yield 'x';
    },
  })),
  validatedEvents: d.procedure.output(z.object({ at: z.string().transform((s) => new Date(s)) })).subscription(async function* () {
    yield { at: '2026-01-01' };
  }),
  prices: d.procedure.subscription(
    async function* () {
      yield { price: 1 };
    },
    { slowReader: 'latest' },
  ),
  ticker: d.procedure.output(z.number()).subscription(
    async function* () {
      yield 1;
    },
    { slowReader: 'dropOldest', maxBuffered: 10 },
  ),
});
type AppRouter = typeof appRouter;
declare const client: ReturnType<typeof createClient<AppRouter>>;

describe('client inference', () => {
  it('infers inputs and outputs', () => {
    expectTypeOf(client.greet.query({ name: 'Ada' })).toEqualTypeOf<Promise<string>>();
    expectTypeOf(client.noInput.query()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(client.post.add.mutate({ text: 'x' })).resolves.toEqualTypeOf<{ id: string; text: string }>();
    expectTypeOf(client.me.query()).resolves.toEqualTypeOf<User>();
    expectTypeOf(client.transformed.query).parameter(0).toEqualTypeOf<{ n: string }>();
  });

  it('keeps Date, Map, Set and BigInt types', () => {
    expectTypeOf(client.rich.query()).resolves.toEqualTypeOf<{ at: Date; map: Map<string, bigint>; big: bigint; set: Set<number> }>();
  });

  it('types subscription data and event ids', () => {
    client.onPost.subscribe(
      { room: 'general' },
      {
        onData: (post, meta) => {
          expectTypeOf(post).toEqualTypeOf<{ id: string; text: string; at: Date }>();
          expectTypeOf(meta.id).toEqualTypeOf<string | undefined>();
        },
        onError: (error) => expectTypeOf(error).toEqualTypeOf<DuplexError>(),
      },
    );
    expectTypeOf(client.ticks.iterate()).toEqualTypeOf<AsyncIterable<number>>();
    expectTypeOf(client.fromIterable.iterate()).toEqualTypeOf<AsyncIterable<{ n: number }>>();
    expectTypeOf(client.fromIterable.iterate({ from: 1 })).toEqualTypeOf<AsyncIterable<{ n: number }>>();
    expectTypeOf(client.fromPromise.iterate()).toEqualTypeOf<AsyncIterable<string>>();
    expectTypeOf(client.validatedEvents.iterate()).toEqualTypeOf<AsyncIterable<{ at: Date }>>();
    expectTypeOf(client.onPost.subscribe({ room: 'a' }).unsubscribe).toEqualTypeOf<() => void>();
  });

  it('types slow-reader policies and credit windows', () => {
    expectTypeOf(client.prices.iterate(undefined, { window: 16 })).toEqualTypeOf<AsyncIterable<{ price: number }>>();
    expectTypeOf(client.ticker.iterate()).toEqualTypeOf<AsyncIterable<number>>();
    client.ticks.subscribe(undefined, { window: 4, onData: async (n) => expectTypeOf(n).toEqualTypeOf<number>() });
    // @ts-expect-error an unknown policy
    d.procedure.subscription(async function* () {}, { slowReader: 'dropNewest' });
    // @ts-expect-error a window is a number
    void client.ticks.iterate(undefined, { window: '16' });
  });

  it('rejects wrong inputs, misspelled paths, wrong kinds and wrong fields', () => {
    // @ts-expect-error wrong input type
    void client.greet.query({ name: 1 });
    // @ts-expect-error missing input
    void client.greet.query();
    // @ts-expect-error misspelled path
    void client.gret.query({ name: 'x' });
    // @ts-expect-error misspelled nested path
    void client.post.ad.mutate({ text: 'x' });
    // @ts-expect-error .query on a mutation
    void client.post.add.query({ text: 'x' });
    // @ts-expect-error .mutate on a query
    void client.greet.mutate({ name: 'x' });
    // @ts-expect-error .query on a subscription
    void client.onPost.query({ room: 'x' });
    // @ts-expect-error missing subscription input
    client.onPost.subscribe();
    // @ts-expect-error wrong optional input
    void client.fromIterable.iterate({ from: 'x' });
    void client.post.add.mutate({ text: 'x' }).then((r) => {
      // @ts-expect-error reading a field the output does not have
      void r.title;
    });
  });

  it('exposes state, on and close', () => {
    expectTypeOf(client.state).toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>();
    expectTypeOf(client.on('state', () => {})).toEqualTypeOf<() => void>();
    expectTypeOf(client.close()).toEqualTypeOf<Promise<void>>();
  });

  it('infers router inputs and outputs', () => {
    expectTypeOf<InferRouterInputs<AppRouter>['post']['add']>().toEqualTypeOf<{ text: string }>();
    expectTypeOf<InferRouterOutputs<AppRouter>['greet']>().toEqualTypeOf<string>();
    expectTypeOf<InferRouterOutputs<AppRouter>['onPost']>().toEqualTypeOf<{ id: string; text: string; at: Date }>();
  });
});

describe('server builder types', () => {
  it('rejects a handler returning the wrong type for its output schema', () => {
    // @ts-expect-error output schema says string
    d.procedure.output(z.string()).query(() => 42);
    // @ts-expect-error output schema says string, for every event
    d.procedure.output(z.string()).subscription(async function* () {
      yield 42;
    });
    // @ts-expect-error a subscription handler must return an async iterable
    d.procedure.subscription(() => [1, 2]);
  });

  it('requires createContext to match the router context', async () => {
    const { createWsServer } = await import('@duplex/server');
    // @ts-expect-error context is missing `user`
    createWsServer({ router: appRouter, createContext: () => ({}) });
    createWsServer({ router: appRouter, createContext: () => ({ user: null }) });
  });
});

/** A Standard Schema that is not zod (as valibot or arktype would give): `.input()` reads its `types`. */
function standardSchema<TInput, TOutput>(map: (value: TInput) => TOutput): StandardSchemaV1<TInput, TOutput> {
  return { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: map(value as TInput) }) } };
}

describe('Standard Schemas other than zod', () => {
  it('types the client input and the handler input from the schema', () => {
    const router = d.router({
      parse: d.procedure
        .input(standardSchema((value: { n: string }) => Number(value.n)))
        .output(standardSchema((value: number) => String(value)))
        .query(({ input }) => {
          expectTypeOf(input).toEqualTypeOf<number>();
          return input;
        }),
    });
    const c = createClient<typeof router>({ url: 'ws://127.0.0.1:1' });
    expectTypeOf(c.parse.query).parameter(0).toEqualTypeOf<{ n: string }>();
    expectTypeOf(c.parse.query({ n: '1' })).resolves.toEqualTypeOf<string>();
    // @ts-expect-error the output schema takes a number
    d.procedure.output(standardSchema((value: number) => String(value))).query(() => 'x');
  });

  it('refuses what is not a schema', () => {
    // @ts-expect-error not a Standard Schema
    d.procedure.input({ parse: (value: unknown) => value });
  });
});

describe('WebSocket implementations', () => {
  it('accepts the ws package class and the global WebSocket without casts', async () => {
    const { WebSocket: WsWebSocket } = await import('ws');
    createClient<AppRouter>({ url: 'ws://127.0.0.1:1', WebSocket: WsWebSocket });
    createClient<AppRouter>({ url: 'ws://127.0.0.1:1', WebSocket: globalThis.WebSocket });
  });
});
