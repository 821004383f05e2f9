import { DEFAULT_SUBSCRIPTION_WINDOW } from '@duplex/core';
import { initDuplex, tracked } from '@duplex/server';
import { deferred, startProxy, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();

/** What the server's generators did, for the tests to count. */
const probe = { pulls: 0, finallyRan: 0, started: deferred() };

/** A source the test feeds by hand; the generator waits on it between events. */
class Feed {
  private readonly items: number[] = [];
  private wake: (() => void) | undefined;
  /** Events the generator has taken. */
  taken = 0;
  push(...values: number[]): void {
    this.items.push(...values);
    this.wake?.();
  }
  async *read(): AsyncGenerator<number> {
    for (;;) {
      while (this.items.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      this.taken++;
      yield this.items.shift() as number;
    }
  }
}
let feed = new Feed();

const router = d.router({
  /** Counts every pull; a real source waits on I/O between events. */
  counter: d.procedure.input(z.object({ size: z.number().int().default(0) }).optional()).subscription(async function* ({ input }) {
    const pad = 'p'.repeat(input?.size ?? 0);
    probe.started.resolve();
    try {
      for (let i = 0; ; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        probe.pulls++;
        yield input?.size ? { i, pad } : { i };
      }
    } finally {
      probe.finallyRan++;
    }
  }),
  /** Never awaits: without credits its loop would run forever in microtasks. */
  eager: d.procedure.subscription(async function* () {
    try {
      for (let i = 0; ; i++) {
        probe.pulls++;
        yield i;
      }
    } finally {
      probe.finallyRan++;
    }
  }),
  /** Tracked events, so a resume continues after the last one delivered. */
  numbered: d.procedure.subscription(async function* ({ lastEventId }) {
    for (let i = lastEventId === undefined ? 0 : Number(lastEventId) + 1; ; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      probe.pulls++;
      yield tracked(String(i), i);
    }
  }),
  latest: d.procedure.subscription(() => feed.read(), { slowReader: 'latest' }),
  dropOldest: d.procedure.subscription(() => feed.read(), { slowReader: 'dropOldest', maxBuffered: 3 }),
  ping: d.procedure.query(() => 'pong'),
});
type Router = typeof router;

const waitFor = <TValue>(fn: () => TValue) => vi.waitFor(fn, { timeout: 5_000, interval: 5 });

function reset(): void {
  probe.pulls = 0;
  probe.finallyRan = 0;
  probe.started = deferred();
  feed = new Feed();
}

/** Several round trips: time for a producer that ignored the window to run far past it. */
async function roundTrips(client: ReturnType<Awaited<ReturnType<typeof startServer>>['client']>, count = 20): Promise<void> {
  const typed = client as unknown as { ping: { query(): Promise<string> } };
  for (let i = 0; i < count; i++) expect(await typed.ping.query()).toBe('pong');
}

describe('credit flow control', () => {
  it('a stalled for await stops the generator within one window, resumes in order, and return() runs its finally', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const window = 8;
    const iterator = client.counter.iterate(undefined, { window })[Symbol.asyncIterator]();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(((await iterator.next()).value as { i: number }).i);
    // Stalled: the server may run at most one window past what was consumed.
    await roundTrips(client);
    expect(probe.pulls).toBeLessThanOrEqual(5 + window);
    // Credits go back half a window at a time: 8 at the start + 4 after the 4th read.
    expect(probe.pulls).toBe(12);
    for (let i = 0; i < 30; i++) seen.push(((await iterator.next()).value as { i: number }).i);
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => i));
    await roundTrips(client);
    expect(probe.pulls).toBeLessThanOrEqual(35 + window);
    await iterator.return?.();
    await waitFor(() => expect(probe.finallyRan).toBe(1));
  });

  it('the default window bounds a stalled reader of large events', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const iterator = client.counter.iterate({ size: 10_000 })[Symbol.asyncIterator]();
    expect(((await iterator.next()).value as { i: number }).i).toBe(0);
    await waitFor(() => expect(probe.pulls).toBe(DEFAULT_SUBSCRIPTION_WINDOW));
    await roundTrips(client);
    // 10 kB events: at most one window (2.5 MB) waits in the client, none is pulled beyond it.
    expect(probe.pulls).toBe(DEFAULT_SUBSCRIPTION_WINDOW);
    await iterator.return?.();
  });

  it('a generator that never awaits is paused by the default window and resumed by reads', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const seen: number[] = [];
    const stalled = deferred();
    const loop = (async () => {
      for await (const i of client.eager.iterate()) {
        seen.push(i);
        if (seen.length === 3) await stalled.promise;
        if (seen.length === 600) break;
      }
    })();
    await waitFor(() => expect(seen.length).toBe(3));
    await roundTrips(client);
    expect(probe.pulls).toBe(DEFAULT_SUBSCRIPTION_WINDOW);
    stalled.resolve();
    await loop;
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(probe.pulls).toBeLessThanOrEqual(600 + DEFAULT_SUBSCRIPTION_WINDOW);
    await waitFor(() => expect(probe.finallyRan).toBe(1));
  });

  it('an async onData holds its credit until its promise settles', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const gate = deferred();
    const seen: number[] = [];
    const sub = client.counter.subscribe(undefined, {
      window: 4,
      onData: async ({ i }) => {
        seen.push(i);
        await gate.promise;
      },
    });
    await waitFor(() => expect(seen.length).toBe(4));
    await roundTrips(client);
    expect(probe.pulls).toBe(4);
    gate.resolve();
    await waitFor(() => expect(seen.length).toBeGreaterThan(20));
    expect(seen.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    sub.unsubscribe();
  });

  it('a synchronous onData returns its credit when it returns', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const seen: number[] = [];
    const sub = client.counter.subscribe(undefined, { window: 2, onData: ({ i }) => void seen.push(i) });
    await waitFor(() => expect(seen.length).toBeGreaterThan(50));
    expect(seen.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    sub.unsubscribe();
  });

  it("slowReader 'latest' keeps pulling and delivers the newest event to a slow reader", async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const iterator = client.latest.iterate(undefined, { window: 1 })[Symbol.asyncIterator]();
    const first = iterator.next();
    feed.push(...Array.from({ length: 50 }, (_, i) => i + 1));
    const a = (await first).value as number;
    expect(a).toBeGreaterThanOrEqual(1);
    // The producer was never blocked: it took every event.
    await waitFor(() => expect(feed.taken).toBe(50));
    await roundTrips(client, 5);
    const rest: number[] = [];
    let next = (await iterator.next()).value as number;
    while (next !== 50) {
      rest.push(next);
      next = (await iterator.next()).value as number;
    }
    // Whatever was in flight (one window) arrives, then the latest value; the rest was dropped.
    expect(rest.length).toBeLessThanOrEqual(1);
    feed.push(51);
    expect((await iterator.next()).value).toBe(51);
    await iterator.return?.();
  });

  it("slowReader 'dropOldest' holds maxBuffered events and drops older ones", async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const iterator = client.dropOldest.iterate(undefined, { window: 1 })[Symbol.asyncIterator]();
    const first = iterator.next();
    feed.push(...Array.from({ length: 50 }, (_, i) => i + 1));
    await first;
    await waitFor(() => expect(feed.taken).toBe(50));
    await roundTrips(client, 5);
    const got: number[] = [];
    while (got.at(-1) !== 50) got.push((await iterator.next()).value as number);
    // One event may have been in flight; then the newest three, in order.
    expect(got.slice(-3)).toEqual([48, 49, 50]);
    expect(got.length).toBeLessThanOrEqual(4);
    await iterator.return?.();
  });

  it('a windowed subscription resumes after a reconnect, in order, without duplicates, still bounded', async () => {
    reset();
    await using srv = await startServer(router);
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Router>({ url: proxy.url, reconnect: { minDelayMs: 1, maxDelayMs: 5 } });
    const window = 6;
    const iterator = client.numbered.iterate(undefined, { window })[Symbol.asyncIterator]();
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) seen.push((await iterator.next()).value as number);
    const reopened = proxy.nextLink();
    proxy.cut();
    await reopened;
    await waitForState(client, 'open');
    for (let i = 0; i < 40; i++) seen.push((await iterator.next()).value as number);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Stalled again after the reconnect: the new server-side loop honours the window too.
    await roundTrips(client);
    const pulledAtStall = probe.pulls;
    await roundTrips(client);
    expect(probe.pulls).toBe(pulledAtStall);
    await iterator.return?.();
  });

  it('window: Infinity turns flow control off (the server runs ahead)', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const iterator = client.counter.iterate(undefined, { window: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
    await iterator.next();
    await waitFor(() => expect(probe.pulls).toBeGreaterThan(DEFAULT_SUBSCRIPTION_WINDOW + 10));
    await iterator.return?.();
  });

  it('refuses a window that is not a positive integer', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    expect(() => client.counter.iterate(undefined, { window: 0 })).toThrow(RangeError);
    expect(() => client.counter.subscribe(undefined, { window: 1.5 })).toThrow(RangeError);
  });
});
