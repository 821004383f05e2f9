import { DuplexError } from '@duplex/core';
import { type DedupeStore, initDuplex, MemoryDedupeStore } from '@duplex/server';
import { deferred, startProxy, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventually } from './fixtures.js';

/** Fast reconnects keep the suite quick; nothing below asserts on elapsed time. */
const fast = { minDelayMs: 10, maxDelayMs: 50 };

/** A payment-like mutation whose handler the test holds open, counting how often it ran. */
function makePayments() {
  const d = initDuplex.create();
  const state = { runs: 0, started: deferred(), release: deferred() };
  const router = d.router({
    pay: d.procedure.input(z.object({ cents: z.number() })).mutation(async ({ input }) => {
      state.runs++;
      state.started.resolve();
      await state.release.promise; // ignores its signal: the effect happens even if the link is gone
      return { paid: input.cents, receipt: `r${state.runs}` };
    }),
    log: d.procedure.input(z.string()).mutation(
      async ({ input }) => {
        state.runs++;
        state.started.resolve();
        await state.release.promise;
        return input;
      },
      { exactlyOnce: false },
    ),
    add: d.procedure.input(z.object({ n: z.number() })).mutation(({ input }) => {
      state.runs++;
      return { total: input.n, run: state.runs };
    }),
  });
  return { router, state };
}
type Payments = ReturnType<typeof makePayments>['router'];

describe('exactly-once mutations across faults (real sockets, TCP proxy)', () => {
  it('a mutation in flight when the link is cut is sent again and resolves once; the handler runs once (result stored before the re-send)', async () => {
    const { router, state } = makePayments();
    await using srv = await startServer(router); // the default: the process-wide memory store
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Payments>({ url: proxy.url, reconnect: fast });
    const paid = client.pay.mutate({ cents: 500 });
    await state.started.promise;
    proxy.cut();
    state.release.resolve(); // the handler finishes on a dead connection: its result is kept
    await expect(paid).resolves.toEqual({ paid: 500, receipt: 'r1' });
    expect(state.runs).toBe(1);
  });

  it('a re-send that arrives while the first attempt still runs waits for it instead of running again', async () => {
    const { router, state } = makePayments();
    await using srv = await startServer(router, { dedupe: new MemoryDedupeStore() });
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Payments>({ url: proxy.url, reconnect: fast });
    const paid = client.pay.mutate({ cents: 700 });
    await state.started.promise;
    const reopened = proxy.nextLink();
    proxy.cut();
    await reopened;
    await waitForState(client, 'open');
    state.release.resolve();
    await expect(paid).resolves.toEqual({ paid: 700, receipt: 'r1' });
    expect(state.runs).toBe(1);
  });

  it('survives a half-open link found by the heartbeat', async () => {
    const { router, state } = makePayments();
    await using srv = await startServer(router, { dedupe: new MemoryDedupeStore() });
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Payments>({ url: proxy.url, reconnect: fast, keepAlive: { intervalMs: 50, pongTimeoutMs: 50 } });
    const paid = client.pay.mutate({ cents: 900 });
    await state.started.promise;
    proxy.stall();
    state.release.resolve();
    await expect(paid).resolves.toEqual({ paid: 900, receipt: 'r1' });
    expect(state.runs).toBe(1);
  });

  it('survives a drain: the next server (same store) answers the re-send from the window', async () => {
    const { router, state } = makePayments();
    const store = new MemoryDedupeStore();
    const first = await startServer(router, { dedupe: store });
    await using second = await startServer(router, { dedupe: store });
    await using proxy = await startProxy(first.port);
    const client = second.client<Payments>({ url: proxy.url, reconnect: fast });
    const paid = client.pay.mutate({ cents: 300 });
    await state.started.promise;
    proxy.retarget(second.port);
    const closed = first.server.close({ drainMs: 20 }); // the handler outlives the drain
    await closed;
    state.release.resolve();
    await expect(paid).resolves.toEqual({ paid: 300, receipt: 'r1' });
    expect(state.runs).toBe(1);
    await first[Symbol.asyncDispose]();
  });

  it('when the window no longer knows the session (another process), the re-send fails with CONFLICT and is not run again', async () => {
    const { router, state } = makePayments();
    const first = await startServer(router, { dedupe: new MemoryDedupeStore() });
    await using second = await startServer(router, { dedupe: new MemoryDedupeStore() });
    await using proxy = await startProxy(first.port);
    const client = second.client<Payments>({ url: proxy.url, reconnect: fast });
    const paid = client.pay.mutate({ cents: 100 }).catch((error: unknown) => error as DuplexError);
    await state.started.promise;
    proxy.retarget(second.port);
    proxy.cut();
    const error = await paid;
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe('CONFLICT');
    expect((error as DuplexError).retryable).toBe(false);
    expect((error as DuplexError).message).toMatch(/may already have run/);
    expect(state.runs).toBe(1);
    // New mutations of the same session run normally on the new server.
    expect(await client.add.mutate({ n: 2 })).toEqual({ total: 2, run: 2 });
    state.release.resolve();
    await first[Symbol.asyncDispose]();
  });

  it('a procedure with exactlyOnce: false is never run twice: its re-send gets a retryable SERVICE_UNAVAILABLE', async () => {
    const { router, state } = makePayments();
    await using srv = await startServer(router, { dedupe: new MemoryDedupeStore() });
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Payments>({ url: proxy.url, reconnect: fast });
    const logged = client.log.mutate('line').catch((error: unknown) => error as DuplexError);
    await state.started.promise;
    proxy.cut();
    state.release.resolve();
    const error = (await logged) as DuplexError;
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(state.runs).toBe(1);
  });

  it('idempotency keys: the same key from two clients runs once and both get its result; another input is a CONFLICT', async () => {
    const { router, state } = makePayments();
    await using srv = await startServer(router, { dedupe: new MemoryDedupeStore() });
    const a = srv.client<Payments>();
    const b = srv.client<Payments>();
    const key = 'form-7f3a9c2e-double-click';
    const [first, second] = await Promise.all([
      a.add.mutate({ n: 5 }, { idempotencyKey: key }),
      b.add.mutate({ n: 5 }, { idempotencyKey: key }),
    ]);
    expect(first).toEqual({ total: 5, run: 1 });
    expect(second).toEqual(first);
    expect(state.runs).toBe(1);
    const other = (await a.add.mutate({ n: 6 }, { idempotencyKey: key }).catch((e: unknown) => e)) as DuplexError;
    expect(other.code).toBe('CONFLICT');
    expect(other.message).toMatch(/different input/);
    expect(await a.add.mutate({ n: 6 }, { idempotencyKey: 'another' })).toEqual({ total: 6, run: 2 });
  });

  it('a server with dedupe: false does not state a window, and the client does not re-send', async () => {
    const { router, state } = makePayments();
    await using srv = await startServer(router, { dedupe: false });
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Payments>({ url: proxy.url, reconnect: fast });
    const paid = client.pay.mutate({ cents: 1 }).catch((error: unknown) => error as DuplexError);
    await state.started.promise;
    proxy.cut();
    expect(((await paid) as DuplexError).code).toBe('SERVICE_UNAVAILABLE');
    state.release.resolve();
    await eventually(() => expect(state.runs).toBe(1));
  });

  it('a store that fails refuses the mutation rather than risk running it twice', async () => {
    const { router, state } = makePayments();
    const broken: DedupeStore = { windowMs: 1_000, maxEntries: 1, claim: () => Promise.reject(new Error('redis down')) };
    await using srv = await startServer(router, { dedupe: broken });
    const client = srv.client<Payments>();
    const error = (await client.add.mutate({ n: 1 }).catch((e: unknown) => e)) as DuplexError;
    expect(error.code).toBe('CONFLICT');
    expect(state.runs).toBe(0);
  });
});
