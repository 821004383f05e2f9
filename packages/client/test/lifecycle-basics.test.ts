import { createServer } from 'node:http';
import { createClient } from '@duplex/client';
import { createWsServer, initDuplex } from '@duplex/server';
import { createCountingClock, deferred, nodeWebSocket, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();
const router = d.router({
  echo: d.procedure.input(z.string()).query(({ input }) => input),
  slow: d.procedure.query(({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))),
  feed: d.procedure.subscription(async function* ({ signal }) {
    yield 'first';
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
  }),
});

describe('server lifecycle basics', () => {
  it('attach() serves upgrades on one path of an existing http.Server and leaves the rest alone', async () => {
    const http = createServer((_req, res) => res.end('page'));
    const server = createWsServer({ router });
    server.attach(http, { path: '/rpc' });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    const client = createClient<typeof router>({ url: `ws://127.0.0.1:${port}/rpc`, WebSocket: nodeWebSocket() });
    expect(await client.echo.query('over /rpc')).toBe('over /rpc');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('page');
    await client.close();
    await server.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('listen() with port 0 returns the real port', async () => {
    const server = createWsServer({ router });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    expect(port).toBeGreaterThan(0);
    await server.close();
  });

  it('leaves no timers, calls or subscriptions behind on either side', async () => {
    const serverClock = createCountingClock();
    const clientClock = createCountingClock();
    await using srv = await startServer(router, { clock: serverClock });
    const client = srv.client<typeof router>({ clock: clientClock, timeoutMs: 60_000 });
    const first = deferred<string>();
    client.feed.subscribe(undefined, { onData: (v) => first.resolve(v) });
    expect(await first.promise).toBe('first');
    const slow = client.slow.query().catch((e: unknown) => e);
    await vi.waitFor(() => expect(srv.server.stats().calls).toBe(1));
    expect(clientClock.pending).toBe(2); // the deadline of the slow call + the heartbeat
    await client.close();
    expect(await slow).toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(() => expect(srv.server.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0, bufferedBytes: 0 }));
    expect(clientClock.pending).toBe(0);
    expect(serverClock.pending).toBe(0);
    expect(client.state).toBe('closed');
  });

  it('reports state changes in order', async () => {
    await using srv = await startServer(router);
    const client = srv.client<typeof router>();
    const states: string[] = [client.state];
    client.on('state', (s) => states.push(s));
    await waitForState(client, 'open');
    await client.close();
    expect(states).toEqual(['connecting', 'open', 'closed']);
  });
});
