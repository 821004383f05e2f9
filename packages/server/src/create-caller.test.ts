import { DuplexError, type ErrorCode, streamOf, tracked } from '@duplex/core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createCaller } from './create-caller.js';
import { initDuplex } from './init.js';

interface Ctx {
  user: string | null;
}

function makeRouter() {
  const d = initDuplex.context<Ctx>().create();
  const seen = { middleware: [] as string[], finallyRan: 0, hanging: 0, handlerAborted: [] as unknown[] };
  const logged = d.procedure.use(async ({ path, kind, next }) => {
    seen.middleware.push(`${kind} ${path}`);
    return next();
  });
  const authed = logged.use(async ({ ctx, next }) => {
    if (!ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
    return next({ ctx: { user: ctx.user } });
  });
  const router = d.router({
    greet: logged
      .input(z.object({ name: z.string().min(1) }))
      .output(z.string())
      .query(({ input }) => `Hello ${input.name}`),
    whoami: authed.query(({ ctx }) => ctx.user),
    badOutput: d.procedure.output(z.string()).query(() => 42 as unknown as string),
    boom: d.procedure.query((): string => {
      throw new Error('db down');
    }),
    hang: d.procedure.query(
      ({ signal }) =>
        new Promise<never>((_resolve, reject) => {
          seen.hanging++;
          signal.addEventListener('abort', () => {
            seen.handlerAborted.push(signal.reason);
            reject(signal.reason);
          });
        }),
    ),
    post: d.router({
      add: authed.input(z.object({ text: z.string().max(5) })).mutation(({ input, ctx }) => ({ text: input.text, by: ctx.user })),
    }),
    onTick: d.procedure
      .input(z.object({ from: z.number() }))
      .output(z.number().max(100))
      .subscription(async function* ({ input, lastEventId, signal }) {
        try {
          for (let i = lastEventId === undefined ? input.from : Number(lastEventId) + 1; !signal.aborted; i++) yield tracked(String(i), i);
        } finally {
          seen.finallyRan++;
        }
      }),
  });
  return { router, seen };
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DuplexError);
  return (error as DuplexError).code;
}

describe('createCaller', () => {
  it('runs middleware, validation and the handler, nested paths included', async () => {
    const { router, seen } = makeRouter();
    const caller = createCaller(router, { user: 'ada' });
    expect(await caller.greet.query({ name: 'Ada' })).toBe('Hello Ada');
    expect(await caller.post.add.mutate({ text: 'hi' })).toEqual({ text: 'hi', by: 'ada' });
    expect(seen.middleware).toEqual(['query greet', 'mutation post.add']);
  });

  it('fails with the codes a socket call gets', async () => {
    const { router } = makeRouter();
    const anonymous = createCaller(router, { user: null });
    expect(await codeOf(anonymous.whoami.query())).toBe('UNAUTHORIZED');
    expect(await codeOf(anonymous.greet.query({ name: '' }))).toBe('BAD_REQUEST');
    expect(await codeOf(anonymous.badOutput.query())).toBe('INTERNAL_SERVER_ERROR');
    const boom = await anonymous.boom.query().catch((e: unknown) => e);
    expect(boom).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'db down' });
    expect((boom as DuplexError).cause).toBeInstanceOf(Error);
    const bad = (await anonymous.greet.query({ name: '' }).catch((e: unknown) => e)) as DuplexError;
    expect(bad.issues?.[0]?.path).toEqual(['name']);
  });

  it('answers unknown paths and wrong kinds with NOT_FOUND', async () => {
    const { router } = makeRouter();
    const caller = createCaller(router, { user: 'ada' }) as unknown as Record<string, Record<string, (input?: unknown) => Promise<unknown>>>;
    expect(await codeOf(caller.nope?.query?.() as Promise<unknown>)).toBe('NOT_FOUND');
    expect(await codeOf(caller.greet?.mutate?.({ name: 'x' }) as Promise<unknown>)).toBe('NOT_FOUND');
    expect(() => caller.greet?.run?.()).toThrow(TypeError);
    expect((caller as Record<string, unknown>).then).toBeUndefined();
  });

  it('takes the context from a function, sync or async, called for every call', async () => {
    const { router } = makeRouter();
    let calls = 0;
    const caller = createCaller(router, async () => ({ user: `u${++calls}` }));
    expect(await caller.whoami.query()).toBe('u1');
    expect(await caller.whoami.query()).toBe('u2');
    const failing = createCaller(router, () => {
      throw new DuplexError({ code: 'FORBIDDEN', message: 'no' });
    });
    expect(await codeOf(failing.whoami.query())).toBe('FORBIDDEN');
  });

  it('rejects with CANCELLED when the signal aborts, and aborts the handler', async () => {
    const { router, seen } = makeRouter();
    const caller = createCaller(router, { user: null });
    const controller = new AbortController();
    const pending = caller.hang.query(undefined, { signal: controller.signal });
    await vi.waitFor(() => expect(seen.hanging).toBe(1));
    controller.abort();
    expect(await codeOf(pending)).toBe('CANCELLED');
    expect(seen.handlerAborted).toHaveLength(1);
    expect(seen.handlerAborted[0]).toMatchObject({ code: 'CANCELLED' });
    expect(await codeOf(caller.greet.query({ name: 'x' }, { signal: AbortSignal.abort() }))).toBe('CANCELLED');
  });

  it('iterates a subscription: tracked values unwrapped, lastEventId passed, output validated', async () => {
    const { router, seen } = makeRouter();
    const caller = createCaller(router, { user: null });
    const values: number[] = [];
    for await (const value of caller.onTick.iterate({ from: 0 }, { lastEventId: '4' })) {
      values.push(value);
      if (values.length === 3) break;
    }
    expect(values).toEqual([5, 6, 7]);
    await vi.waitFor(() => expect(seen.finallyRan).toBe(1));

    const past: number[] = [];
    const error = await (async () => {
      for await (const value of caller.onTick.iterate({ from: 99 })) past.push(value);
    })().catch((e: unknown) => e);
    expect(past).toEqual([99, 100]);
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed' });
    expect(await codeOf(caller.onTick.iterate({ from: 'x' as unknown as number })[Symbol.asyncIterator]().next())).toBe('BAD_REQUEST');
  });

  it('ends the loop normally when the signal aborts, and the handler sees its signal abort', async () => {
    const { router, seen } = makeRouter();
    const caller = createCaller(router, { user: null });
    const controller = new AbortController();
    const values: number[] = [];
    for await (const value of caller.onTick.iterate({ from: 1 }, { signal: controller.signal })) {
      values.push(value);
      if (value === 2) controller.abort();
    }
    expect(values).toEqual([1, 2]);
    await vi.waitFor(() => expect(seen.finallyRan).toBe(1));
  });

  it('passes a stream input through, each item checked against the item schema, and returns a streamed result as is', async () => {
    const d = initDuplex.create();
    const router = d.router({
      sum: d.procedure.input(streamOf(z.number().int())).mutation(async ({ input }) => {
        let total = 0;
        for await (const n of input) total += n;
        return total;
      }),
      count: d.procedure.query(async function* () {
        yield 1;
        yield 2;
      }),
    });
    const caller = createCaller(router, {});
    async function* numbers(...values: number[]) {
      yield* values;
    }
    expect(await caller.sum.mutate(numbers(1, 2, 3))).toBe(6);
    await expect(caller.sum.mutate(numbers(1, 2.5))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const seen: number[] = [];
    for await (const n of await caller.count.query()) seen.push(n);
    expect(seen).toEqual([1, 2]);
  });
});
