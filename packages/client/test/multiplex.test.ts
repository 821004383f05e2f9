import { createWsServer, initDuplex, tracked } from '@duplex/server';
import { deferred, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();
const router = d.router({
  double: d.procedure.input(z.object({ n: z.number() })).query(async ({ input }) => ({ n: input.n, twice: input.n * 2 })),
  stream: d.procedure.input(z.object({ key: z.number(), count: z.number() })).subscription(async function* ({ input }) {
    for (let i = 0; i < input.count; i++) yield tracked(`${input.key}:${i}`, { key: input.key, i });
  }),
});

describe('one socket, many calls', () => {
  it('routes 1,000 concurrent calls and 50 concurrent subscriptions over exactly one connection', async () => {
    let upgrades = 0;
    const verifyUpgrade = () => {
      upgrades++;
      return true;
    };
    await using srv = await startServer(router, { verifyUpgrade });
    const client = srv.client<typeof router>();
    const subsDone = Array.from({ length: 50 }, (_, key) => {
      const got: Array<{ key: number; i: number }> = [];
      const ids: string[] = [];
      const done = deferred<void>();
      client.stream.subscribe({ key, count: 20 }, {
        onData: (v, meta) => {
          got.push(v);
          ids.push(meta.id ?? '');
        },
        onComplete: () => done.resolve(),
        onError: done.reject,
      });
      return done.promise.then(() => ({ key, got, ids }));
    });
    const calls = Array.from({ length: 1000 }, (_, n) => client.double.query({ n }));
    const results = await Promise.all(calls);
    for (const [n, r] of results.entries()) expect(r).toEqual({ n, twice: n * 2 });
    for (const { key, got, ids } of await Promise.all(subsDone)) {
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => ({ key, i })));
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `${key}:${i}`));
    }
    expect(upgrades).toBe(1);
    expect(srv.server.stats()).toMatchObject({ connections: 1, calls: 0, subscriptions: 0, bufferedBytes: 0 });
  });

  it('counts exactly one upgrade on the HTTP server', async () => {
    const server = createWsServer({ router });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const { createClient } = await import('@duplex/client');
    const { WebSocket } = await import('ws');
    let opened = 0;
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        opened++;
      }
    }
    const client = createClient<typeof router>({ url: `ws://127.0.0.1:${port}`, WebSocket: CountingWebSocket as never });
    await Promise.all(Array.from({ length: 200 }, (_, n) => client.double.query({ n })));
    await waitForState(client, 'open');
    expect(opened).toBe(1);
    expect(server.stats().connections).toBe(1);
    await client.close();
    await server.close();
    await vi.waitFor(() => expect(server.stats().connections).toBe(0));
  });
});
