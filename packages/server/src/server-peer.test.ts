import { type Clock, DuplexError, jsonCodec, tracked } from '@duplex/core';
import { createMemoryPair, deferred } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { initDuplex } from './init.js';

const d = initDuplex.create();

describe('ServerPeer over an in-memory pair', () => {
  it('batches replies produced in the same tick into one frame', async () => {
    const router = d.router({ echo: d.procedure.input(z.number()).query(({ input }) => input) });
    const pair = createMemoryPair(router);
    const results = await Promise.all([1, 2, 3].map((n) => pair.client.call('query', 'echo', n)));
    expect(results).toEqual([1, 2, 3]);
    // hello, then (once `ready` has stated the limits) the three calls in one frame
    expect(pair.frames.toServer).toHaveLength(2);
    expect(JSON.parse(pair.frames.toServer[1] as string)).toHaveLength(3);
    // `ready` leaves as soon as the context exists; the three results then share one frame
    expect(pair.frames.toClient).toHaveLength(2);
    expect(JSON.parse(pair.frames.toClient[1] as string)).toHaveLength(3);
  });

  it('holds calls in order while createContext resolves', async () => {
    const gate = deferred<{ n: number }>();
    const order: number[] = [];
    const router = d.router({
      step: d.procedure.input(z.number()).mutation(({ input }) => {
        order.push(input);
        return input;
      }),
    });
    const pair = createMemoryPair(router, { createContext: () => gate.promise });
    const calls = [1, 2, 3, 4, 5].map((n) => pair.client.call('mutation', 'step', n));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    gate.resolve({ n: 1 });
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers unknown paths and wrong kinds with NOT_FOUND', async () => {
    const router = d.router({ q: d.procedure.query(() => 1), m: d.procedure.mutation(() => 2) });
    const pair = createMemoryPair(router);
    await expect(pair.client.call('query', 'nope', undefined)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pair.client.call('query', 'm', undefined)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pair.client.call('mutation', 'q', undefined)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pair.client.call('query', 'q', undefined)).resolves.toBe(1);
  });

  it('works with the JSON codec', async () => {
    const router = d.router({ echo: d.procedure.input(z.object({ a: z.string() })).query(({ input }) => ({ ...input, n: 1 })) });
    const pair = createMemoryPair(router, { codec: jsonCodec });
    await expect(pair.client.call('query', 'echo', { a: 'x' })).resolves.toEqual({ a: 'x', n: 1 });
    expect(pair.frames.toServer[0]).toContain('"codec":"json"');
    expect(pair.frames.toServer[1]).toContain('"input":{"a":"x"}');
  });

  it('reports a value the codec cannot serialize as INTERNAL_SERVER_ERROR, and keeps serving', async () => {
    const router = d.router({ big: d.procedure.query(() => 1n), ok: d.procedure.query(() => 'ok') });
    const onError = vi.fn();
    const pair = createMemoryPair(router, { codec: jsonCodec, onError });
    await expect(pair.client.call('query', 'big', undefined)).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    await expect(pair.client.call('query', 'ok', undefined)).resolves.toBe('ok');
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('validates output and masks it as INTERNAL_SERVER_ERROR', async () => {
    const router = d.router({ bad: d.procedure.output(z.string()).query(() => 5 as unknown as string) });
    const pair = createMemoryPair(router);
    const error = (await pair.client.call('query', 'bad', undefined).catch((e: unknown) => e)) as DuplexError;
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.issues).toBeUndefined();
  });

  it('exposes messages and stacks only with exposeErrors', async () => {
    const router = d.router({
      boom: d.procedure.query(() => {
        throw new Error('db password');
      }),
    });
    const masked = createMemoryPair(router);
    const hidden = (await masked.client.call('query', 'boom', undefined).catch((e: unknown) => e)) as DuplexError;
    expect(hidden.message).toBe('Internal server error');
    const exposed = createMemoryPair(router, { exposeErrors: true });
    const shown = (await exposed.client.call('query', 'boom', undefined).catch((e: unknown) => e)) as DuplexError;
    expect(shown.message).toBe('db password');
    expect(shown.stack).toContain('server-peer.test.ts');
  });

  it('refuses the connection with 4401 when createContext throws UNAUTHORIZED', async () => {
    const router = d.router({ q: d.procedure.query(() => 1) });
    const pair = createMemoryPair(router, {
      createContext: () => {
        throw new DuplexError({ code: 'UNAUTHORIZED', message: 'bad token' });
      },
    });
    await vi.waitFor(() => expect(pair.closes).toEqual([{ code: 4401, reason: 'bad token' }]));
    expect(pair.server.closed).toBe(true);
  });

  it('streams tracked events and passes lastEventId on resume', async () => {
    const seen: Array<string | undefined> = [];
    const router = d.router({
      feed: d.procedure.subscription(async function* ({ lastEventId }) {
        seen.push(lastEventId);
        const start = lastEventId ? Number(lastEventId) + 1 : 0;
        for (let i = start; i < start + 2; i++) yield tracked(String(i), { i });
      }),
    });
    const pair = createMemoryPair(router);
    const events: Array<[unknown, string | undefined]> = [];
    const done = deferred();
    pair.client.subscribe('feed', undefined, { onData: (v, m) => events.push([v, m.id]), onComplete: () => done.resolve() });
    await done.promise;
    expect(events).toEqual([[{ i: 0 }, '0'], [{ i: 1 }, '1']]);
    expect(seen).toEqual([undefined]);
    expect(pair.server.stats).toEqual({ calls: 0, subscriptions: 0 });
  });

  it('aborts the handler signal and drops the late result when the deadline passes', async () => {
    let fire: (() => void) | undefined;
    const clock: Clock = {
      now: () => 0,
      setTimeout: (fn) => {
        fire = fn;
        return 1;
      },
      clearTimeout: () => {
        fire = undefined;
      },
    };
    const aborted = deferred<unknown>();
    const release = deferred<string>();
    const router = d.router({
      slow: d.procedure.query(async ({ signal }) => {
        signal.addEventListener('abort', () => aborted.resolve(signal.reason));
        return release.promise;
      }),
    });
    const pair = createMemoryPair(router, { clock });
    const call = pair.client.call('query', 'slow', undefined, { timeoutMs: 50 });
    await vi.waitFor(() => expect(pair.server.stats.calls).toBe(1));
    expect(pair.frames.toServer.join('')).toContain('"timeoutMs":50');
    fire?.(); // fires the client's deadline (the last timer set)
    await expect(call).rejects.toMatchObject({ code: 'TIMEOUT' });
    const reason = (await aborted.promise) as DuplexError;
    expect(reason.code).toMatch(/CANCELLED|TIMEOUT/);
    release.resolve('late');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pair.frames.toClient.join('')).not.toContain('late');
    expect(pair.server.stats).toEqual({ calls: 0, subscriptions: 0 });
  });

  it('releases a subscription stuck in an await at once when the connection drops', async () => {
    const started = deferred();
    const aborted = deferred();
    const never = new Promise<never>(() => {});
    const router = d.router({
      stuck: d.procedure.subscription(async function* ({ signal }) {
        signal.addEventListener('abort', () => aborted.resolve());
        started.resolve();
        await never;
        yield 1;
      }),
    });
    const pair = createMemoryPair(router);
    pair.client.subscribe('stuck', undefined, {});
    await started.promise;
    expect(pair.server.stats.subscriptions).toBe(1);
    pair.cut();
    await aborted.promise;
    expect(pair.server.stats).toEqual({ calls: 0, subscriptions: 0 });
  });
});
