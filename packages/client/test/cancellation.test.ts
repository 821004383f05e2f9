import { DuplexError } from '@duplex/client';
import { initDuplex } from '@duplex/server';
import { deferred, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';

const d = initDuplex.create();

/** A router whose handlers report their lifecycle through deferreds. */
function probeRouter() {
  const started = deferred<void>();
  const aborted = deferred<unknown>();
  const finalized = deferred<void>();
  const never = new Promise<never>(() => {});
  const router = d.router({
    slow: d.procedure.query(async ({ signal }) => {
      signal.addEventListener('abort', () => aborted.resolve(signal.reason));
      started.resolve();
      return never;
    }),
    ticker: d.procedure.subscription(async function* ({ signal }) {
      signal.addEventListener('abort', () => aborted.resolve(signal.reason));
      try {
        for (let i = 0; ; i++) {
          started.resolve();
          yield i;
          // wait until the client asks, so the loop is bounded by the test
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (signal.aborted) return;
        }
      } finally {
        finalized.resolve();
      }
    }),
    stuck: d.procedure.subscription(async function* ({ signal }) {
      signal.addEventListener('abort', () => aborted.resolve(signal.reason));
      try {
        started.resolve();
        await never;
        yield 0;
      } finally {
        finalized.resolve();
      }
    }),
  });
  return { router, started, aborted, finalized };
}

describe('cancellation over a real socket', () => {
  it('aborting the signal rejects with CANCELLED and aborts the handler', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    const controller = new AbortController();
    const call = client.slow.query(undefined, { signal: controller.signal });
    await probe.started.promise;
    controller.abort();
    const error = (await call.catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('CANCELLED');
    expect(((await probe.aborted.promise) as DuplexError).code).toBe('CANCELLED');
    await vi.waitFor(() => expect(srv.server.stats().calls).toBe(0));
  });

  it('timeoutMs rejects with TIMEOUT and aborts the handler on the server', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    // Calls leave once `ready` is in; the deadline is about the handler, not the handshake.
    await waitForState(client, 'open');
    const error = (await client.slow.query(undefined, { timeoutMs: 30 }).catch((e: unknown) => e)) as DuplexError;
    expect(error.code).toBe('TIMEOUT');
    expect(await probe.aborted.promise).toBeInstanceOf(DuplexError);
    await vi.waitFor(() => expect(srv.server.stats().calls).toBe(0));
  });

  it('a client default timeoutMs applies to every call', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>({ timeoutMs: 20 });
    await expect(client.slow.query()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a signal aborted before the call rejects at once without sending', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    await expect(client.slow.query(undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(srv.server.stats().calls).toBe(0);
  });

  it('unsubscribe() ends the server generator and its finally runs', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    const first = deferred<number>();
    const sub = client.ticker.subscribe(undefined, { onData: (n) => first.resolve(n) });
    expect(await first.promise).toBe(0);
    sub.unsubscribe();
    await probe.finalized.promise;
    expect(((await probe.aborted.promise) as DuplexError).code).toBe('CANCELLED');
    await vi.waitFor(() => expect(srv.server.stats().subscriptions).toBe(0));
  });

  it('breaking out of iterate() ends the server generator', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    const seen: number[] = [];
    for await (const n of client.ticker.iterate()) {
      seen.push(n);
      if (n === 2) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    await probe.finalized.promise;
    await vi.waitFor(() => expect(srv.server.stats().subscriptions).toBe(0));
  });

  it('aborting the iterate() signal ends the loop and the generator', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const n of client.ticker.iterate(undefined, { signal: controller.signal })) {
      seen.push(n);
      if (n === 1) controller.abort();
    }
    expect(seen).toEqual([0, 1]);
    await probe.finalized.promise;
  });

  it('a client disconnect aborts handlers at once, even a generator stuck in an await', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    client.stuck.subscribe(undefined, {});
    await probe.started.promise;
    expect(srv.server.stats().subscriptions).toBe(1);
    await client.close();
    expect(((await probe.aborted.promise) as DuplexError).code).toBe('CANCELLED');
    await vi.waitFor(() => expect(srv.server.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0, bufferedBytes: 0 }));
    // the generator is still parked in its await: teardown did not wait for it
    let finalized = false;
    void probe.finalized.promise.then(() => (finalized = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(finalized).toBe(false);
  });

  it('close() settles pending calls with CANCELLED and completes subscriptions', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    const client = srv.client<typeof probe.router>();
    const call = client.slow.query().catch((e: unknown) => e);
    const completed = deferred<void>();
    client.ticker.subscribe(undefined, { onComplete: () => completed.resolve() });
    await probe.started.promise;
    await client.close();
    expect(await call).toMatchObject({ code: 'CANCELLED' });
    await completed.promise;
    expect(client.state).toBe('closed');
    await expect(client.slow.query()).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('a repeated connect/subscribe/disconnect loop leaves nothing behind', async () => {
    const probe = probeRouter();
    await using srv = await startServer(probe.router);
    for (let round = 0; round < 25; round++) {
      const client = srv.client<typeof probe.router>();
      const got = deferred<void>();
      client.ticker.subscribe(undefined, { onData: () => got.resolve() });
      client.stuck.subscribe(undefined, {});
      await got.promise;
      await waitForState(client, 'open');
      await client.close();
    }
    await vi.waitFor(() => expect(srv.server.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0, bufferedBytes: 0 }));
  });
});
