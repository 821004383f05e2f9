import { DuplexError } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { deferred, startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { range } from './fixtures.js';

/** Counts how many handlers run at once, so a test can see the server's limit was respected. */
function makeLimitsRouter() {
  const d = initDuplex.create();
  const load = { running: 0, peak: 0, gate: deferred() };
  const router = d.router({
    echo: d.procedure.input(z.number()).query(async ({ input }) => {
      load.peak = Math.max(load.peak, ++load.running);
      // Hold the slot for one turn of the event loop, so calls really overlap.
      await new Promise((resolve) => setImmediate(resolve));
      load.running--;
      return input;
    }),
    held: d.procedure.query(async () => {
      await load.gate.promise;
      return 'released';
    }),
    text: d.procedure.input(z.string()).mutation(({ input }) => input.length),
    idle: d.procedure.subscription(async function* ({ signal }) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      yield 0;
    }),
  });
  return { router, load };
}
type LimitsRouter = ReturnType<typeof makeLimitsRouter>['router'];

describe('limits the client knows (stated in ready)', () => {
  it('10,000 calls started at once on one connection all resolve; the server never runs more than maxCallsInFlight', async () => {
    const { router, load } = makeLimitsRouter();
    await using srv = await startServer(router);
    const client = srv.client<LimitsRouter>();
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    const ids = range(10_000);
    const results = await Promise.all(ids.map((id) => client.echo.query(id)));
    expect(results).toEqual(ids);
    expect(load.peak).toBeGreaterThan(1);
    expect(load.peak).toBeLessThanOrEqual(1024);
    expect(closes).toEqual([]);
    expect(srv.server.stats()).toMatchObject({ connections: 1, calls: 0 });
  });

  it('a small maxCallsInFlight is respected exactly, and every call of a burst resolves in order', async () => {
    const { router, load } = makeLimitsRouter();
    await using srv = await startServer(router, { maxCallsInFlight: 3 });
    const client = srv.client<LimitsRouter>();
    const results = await Promise.all(range(300).map((id) => client.echo.query(id)));
    expect(results).toEqual(range(300));
    expect(load.peak).toBe(3);
  });

  it('past the client queue bound, a call fails at once with a typed local TOO_MANY_REQUESTS', async () => {
    const { router, load } = makeLimitsRouter();
    await using srv = await startServer(router, { maxCallsInFlight: 2 });
    const client = srv.client<LimitsRouter>({ maxQueuedCalls: 3 });
    await client.echo.query(0); // connected and ready: the limits are known
    const held = range(5).map(() => client.held.query());
    const refused = (await client.held.query().catch((error: unknown) => error)) as DuplexError;
    expect(refused).toBeInstanceOf(DuplexError);
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.message).toContain('maxQueuedCalls 3');
    await expect.poll(() => srv.server.stats().calls).toBe(2);
    load.gate.resolve();
    expect(await Promise.all(held)).toEqual(Array(5).fill('released'));
  });

  it('a call over the server maxMessageBytes fails locally with PAYLOAD_TOO_LARGE naming both sizes; the connection stays', async () => {
    const { router } = makeLimitsRouter();
    await using srv = await startServer(router, { maxMessageBytes: 1_000 });
    const client = srv.client<LimitsRouter>(); // its own maxMessageBytes is left at the default (1 MiB)
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    expect(await client.text.mutate('ok')).toBe(2);
    const error = (await client.text.mutate('x'.repeat(2_000)).catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/"text" is 20\d\d bytes, over the server's maxMessageBytes of 1000 bytes/);
    expect(await client.text.mutate('still usable')).toBe(12);
    expect(closes).toEqual([]);
    expect(client.state).toBe('open');
  });

  it("names the client's own limit when it is the smaller one", async () => {
    const { router } = makeLimitsRouter();
    await using srv = await startServer(router);
    const client = srv.client<LimitsRouter>({ maxMessageBytes: 500 });
    const error = (await client.text.mutate('x'.repeat(600)).catch((e: unknown) => e)) as DuplexError;
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toMatch(/over this client's maxMessageBytes of 500 bytes/);
  });

  it('a subscription past the stated maxSubscriptions fails locally with TOO_MANY_REQUESTS; the others live on', async () => {
    const { router } = makeLimitsRouter();
    await using srv = await startServer(router, { maxSubscriptions: 2 });
    const client = srv.client<LimitsRouter>();
    await client.echo.query(0);
    const errors: DuplexError[] = [];
    const subs = range(3).map(() => client.idle.subscribe(undefined, { onError: (error) => errors.push(error) }));
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]?.code).toBe('TOO_MANY_REQUESTS');
    expect(errors[0]?.message).toContain('maxSubscriptions');
    await expect.poll(() => srv.server.stats().subscriptions).toBe(2);
    for (const sub of subs) sub.unsubscribe();
    await expect.poll(() => srv.server.stats().subscriptions).toBe(0);
  });
});
