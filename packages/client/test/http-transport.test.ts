import { createServer, type Server } from 'node:http';
import { createWsServer, DuplexError, initDuplex } from '@duplex/server';
import { toNodeListener } from '@duplex/server/node';
import { createFetchHandler, type FetchHandler } from '@duplex/server/fetch';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { createClient } from '../src/index.js';
import { autoTransport, httpTransport } from '../src/http.js';
import { eventually, EventLog } from './fixtures.js';

const fast = { minDelayMs: 10, maxDelayMs: 50 };

function makeRouter(log: EventLog) {
  const d = initDuplex.context<{ user: string | null }>().create();
  return d.router({
    add: d.procedure.input(z.object({ a: z.number(), b: z.number() })).query(({ input }) => input.a + input.b),
    when: d.procedure.query(() => new Date(86_400_000)),
    save: d.procedure.input(z.string().min(1)).mutation(({ input }) => input.toUpperCase()),
    whoami: d.procedure.query(({ ctx }) => {
      if (!ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'sign in first' });
      return ctx.user;
    }),
    feed: d.procedure.subscription(({ signal, lastEventId }) => log.since(lastEventId, signal)),
  });
}
type HttpRouter = ReturnType<typeof makeRouter>;

/** The Fetch handler on Node http; `upgrade` decides what a WebSocket upgrade meets. */
async function serve(log: EventLog, opts: { port?: number; upgrade?: 'refuse' | 'duplex' } = {}) {
  const router = makeRouter(log);
  const handler: FetchHandler = createFetchHandler({
    router,
    createContext: ({ connectionParams }) => ({ user: (connectionParams?.user as string | undefined) ?? null }),
  });
  const server: Server = createServer(toNodeListener(handler.fetch));
  const ws = opts.upgrade === 'duplex' ? createWsServer({ router }) : undefined;
  if (ws) ws.attach(server);
  // A proxy that blocks WebSockets: every upgrade gets a 403.
  else server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    handler,
    async close() {
      await ws?.close({ drainMs: 0 });
      await handler.close({ drainMs: 0 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** fetch that counts the requests it makes, by method. */
function countingFetch() {
  const counts = { GET: 0, POST: 0, OPTIONS: 0 } as Record<string, number>;
  const fetcher: typeof fetch = (input, init) => {
    const method = init?.method ?? 'GET';
    counts[method] = (counts[method] ?? 0) + 1;
    return fetch(input, init);
  };
  return { counts, fetch: fetcher };
}

describe("transport: httpTransport() (HTTP + SSE, the server's Fetch handler)", () => {
  it('makes typed calls, batching one tick into one request, with the same errors as the socket', async () => {
    const server = await serve(new EventLog());
    const counting = countingFetch();
    const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${server.port}`, transport: httpTransport({ fetch: counting.fetch }), connectionParams: { user: 'ada' } });
    expect(await client.add.query({ a: 1, b: 2 })).toBe(3);
    expect(counting.counts.GET).toBe(1);
    const [sum, when, saved, who] = await Promise.all([client.add.query({ a: 2, b: 2 }), client.when.query(), client.save.mutate('hi'), client.whoami.query()]);
    expect([sum, saved, who]).toEqual([4, 'HI', 'ada']);
    expect(when).toEqual(new Date(86_400_000)); // superjson, as on the socket
    expect(counting.counts.POST).toBe(1); // four calls, one batch request
    const error = (await client.save.mutate('').catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.issues?.length).toBeGreaterThan(0);
    expect(client.state).toBe('open');
    await client.close();
    await server.close();
  });

  it('sends a query too long for a URL as a POST batch of one, not a GET the server would refuse', async () => {
    const server = await serve(new EventLog());
    const counting = countingFetch();
    const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${server.port}`, transport: httpTransport({ fetch: counting.fetch, maxUrlLength: 40 }) });
    expect(await client.add.query({ a: 20, b: 22 })).toBe(42);
    expect(counting.counts).toEqual({ GET: 0, POST: 1, OPTIONS: 1 });
    await client.close();
    await server.close();
  });

  it('streams a subscription over SSE and resumes it on the next server from the last event id', async () => {
    const log = new EventLog();
    const first = await serve(log);
    const port = first.port;
    const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${port}`, transport: httpTransport(), reconnect: fast });
    const seen: Array<[number, string | undefined]> = [];
    const sub = client.feed.subscribe(undefined, { onData: (value, { id }) => seen.push([value, id]) });
    log.append(3);
    await eventually(() => expect(seen).toHaveLength(3));
    await first.close(); // goaway on the stream, then the port closes
    log.append(2);
    const second = await serve(log, { port });
    await eventually(() => expect(seen).toHaveLength(5));
    log.append(1);
    await eventually(() => expect(seen).toHaveLength(6));
    expect(seen).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, String(i)]));
    sub.unsubscribe();
    await eventually(() => expect(second.handler.stats().streams).toBe(0));
    await client.close();
    await second.close();
  });
});

describe("transport: autoTransport() (WebSocket first, HTTP when the upgrade is refused)", () => {
  it('falls back to HTTP behind a proxy that refuses upgrades, within the same connect', async () => {
    const log = new EventLog();
    const server = await serve(log, { upgrade: 'refuse' });
    const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as never, transport: autoTransport(), reconnect: fast });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    expect(await client.add.query({ a: 20, b: 22 })).toBe(42);
    expect(closes).toEqual([]); // no failed attempt, no backoff: the fallback is part of the attempt
    const events = client.feed.iterate(undefined)[Symbol.asyncIterator]();
    log.append(1);
    expect((await events.next()).value).toBe(0);
    await events.return?.();
    await client.close();
    await server.close();
  });

  it('stays on the WebSocket where the upgrade works', async () => {
    const server = await serve(new EventLog(), { upgrade: 'duplex' });
    const counting = countingFetch();
    const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as never, transport: autoTransport({ fetch: counting.fetch }) });
    expect(await client.add.query({ a: 1, b: 1 })).toBe(2);
    expect(counting.counts).toEqual({ GET: 0, POST: 0, OPTIONS: 0 });
    await client.close();
    await server.close();
  });
});

