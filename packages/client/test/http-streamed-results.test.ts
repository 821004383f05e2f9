import { DuplexError, initDuplex } from '@duplex/server';
import { createFetchHandler } from '@duplex/server/fetch';
import { collect, serveFetchHandler } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createClient } from '../src/index.js';
import { HttpCallStreams } from '../src/http-call-streams.js';
import { httpTransport } from '../src/http.js';

const producers = { running: 0 };

function makeRouter() {
  const d = initDuplex.create();
  return d.router({
    add: d.procedure.input(z.object({ a: z.number(), b: z.number() })).query(({ input }) => input.a + input.b),
    /** 1..to (forever without `to`), failing with CONFLICT at `failAt`. */
    numbers: d.procedure.input(z.object({ to: z.number().optional(), failAt: z.number().optional() })).query(async function* ({ input }) {
      producers.running++;
      try {
        for (let n = 1; input.to === undefined || n <= input.to; n++) {
          if (n === input.failAt) throw new DuplexError({ code: 'CONFLICT', message: `stopped at ${n}` });
          yield n;
        }
      } finally {
        producers.running--;
      }
    }),
    dates: d.procedure.mutation(async function* () {
      yield new Date(0);
      yield new Date(86_400_000);
    }),
  });
}
type Router = ReturnType<typeof makeRouter>;

async function serve() {
  const handler = createFetchHandler({ router: makeRouter() });
  const served = await serveFetchHandler(handler);
  const client = createClient<Router>({ url: served.url, transport: httpTransport() });
  return {
    client,
    handler,
    async [Symbol.asyncDispose]() {
      await client.close();
      await served.close();
    },
  };
}

describe('streamed results over httpTransport() (protocol.md §12)', () => {
  it('returns an AsyncIterable as on the socket: items past the window, superjson items, an error after items', async () => {
    await using srv = await serve();
    expect(await collect(await srv.client.numbers.query({ to: 50 }, { window: 4 }))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await collect(await srv.client.dates.mutate())).toEqual([new Date(0), new Date(86_400_000)]);
    const seen: number[] = [];
    const error = await (async () => {
      for await (const n of await srv.client.numbers.query({ to: 9, failAt: 4 })) seen.push(n);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(DuplexError);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'stopped at 4' });
    expect(producers.running).toBe(0);
  });

  it('answers a stream batched with other calls of the same tick, and a break ends only the producer', async () => {
    await using srv = await serve();
    const [sum, stream, other] = await Promise.all([srv.client.add.query({ a: 2, b: 3 }), srv.client.numbers.query({}), srv.client.numbers.query({ to: 3 })]);
    expect(sum).toBe(5);
    expect(await collect(other)).toEqual([1, 2, 3]);
    for await (const n of stream) if (n === 5) break;
    await vi.waitFor(() => expect(producers.running).toBe(0));
    await vi.waitFor(() => expect(srv.handler.stats()).toEqual({ requests: 0, streams: 0 }));
    // The client is still connected and usable.
    expect(await srv.client.add.query({ a: 1, b: 1 })).toBe(2);
  });

  it('two streams of one batch: leaving one drops its items, the other reads on; leaving both ends the request', async () => {
    await using srv = await serve();
    const [first, second] = await Promise.all([srv.client.numbers.query({}), srv.client.numbers.query({})]);
    for await (const n of first) if (n === 3) break;
    const seen: number[] = [];
    for await (const n of second) {
      seen.push(n);
      if (n === 40) break;
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await vi.waitFor(() => expect(producers.running).toBe(0));
    await vi.waitFor(() => expect(srv.handler.stats()).toEqual({ requests: 0, streams: 0 }));
  });

  it('an abort signal ends a single streamed result and its producer', async () => {
    await using srv = await serve();
    const controller = new AbortController();
    const items: number[] = [];
    const error = await (async () => {
      for await (const n of await srv.client.numbers.query({}, { signal: controller.signal })) {
        items.push(n);
        if (n === 2) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(items.slice(0, 2)).toEqual([1, 2]);
    await vi.waitFor(() => expect(producers.running).toBe(0));
  });
});

describe('streamed results over httpTransport(): a cut response', () => {
  it('fails the open stream with a retryable SERVICE_UNAVAILABLE when the server closes, as a lost socket does', async () => {
    await using srv = await serve();
    const items: number[] = [];
    const error = await (async () => {
      for await (const n of await srv.client.numbers.query({})) {
        items.push(n);
        if (n === 1) void srv.handler.close({ drainMs: 0 });
      }
    })().catch((e: unknown) => e);
    expect(items[0]).toBe(1);
    expect(error).toBeInstanceOf(DuplexError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    await vi.waitFor(() => expect(producers.running).toBe(0));
  });
});

describe('HttpCallStreams', () => {
  /** A body that makes one event per pull, counting the pulls. */
  function body(events: string[]) {
    const encoder = new TextEncoder();
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const next = events[pulls++];
          if (next === undefined) controller.close();
          else controller.enqueue(encoder.encode(`data: ${next}\n\n`));
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, pulls: () => pulls };
  }

  it('reads the body only while the stream has credit: the window of its call, then what the client grants', async () => {
    const events = ['{"t":"result","stream":true}', ...Array.from({ length: 10 }, (_, i) => `{"t":"data","data":${i}}`), '{"t":"done"}'];
    const source = body(events);
    const controller = new AbortController();
    const streams = new HttpCallStreams([{ t: 'call', id: 7, kind: 'query', path: 'x', credit: 3 }], 7, controller);
    const delivered: Array<{ t: string; id?: number | null }> = [];
    const reading = streams.read(source.stream, (message) => delivered.push(message));
    await vi.waitFor(() => expect(delivered).toHaveLength(4)); // result + the window of 3
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toHaveLength(4);
    expect(source.pulls()).toBeLessThanOrEqual(5);
    expect(delivered.every((message) => message.id === 7)).toBe(true);
    expect(streams.grant(7, 2)).toBe(true);
    await vi.waitFor(() => expect(delivered).toHaveLength(6));
    expect(streams.grant(7, 100)).toBe(true);
    expect(await reading).toBe(true);
    expect(delivered.at(-1)).toEqual({ t: 'done', id: 7 });
    expect(streams.grant(7, 1)).toBe(false); // ended
  });

  it('reports a body cut before its streams ended', async () => {
    const source = body(['{"t":"result","stream":true}', '{"t":"data","data":1}']);
    const streams = new HttpCallStreams([{ t: 'call', id: 1, kind: 'query', path: 'x' }], 1, new AbortController());
    expect(await streams.read(source.stream, () => {})).toBe(false);
  });
});
