import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpTransport } from '@duplex/client/http';
import { createFetchHandler } from '@duplex/server/fetch';
import { toNodeListener } from '@duplex/server/node';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';
import { largeSchema, richSchema, smallSchema } from '../payloads.js';
import type { BenchSystem } from '../system.js';
import { duplexClient } from './duplex-client.js';
import { benchRouter } from './duplex-router.js';

/** What the HTTP systems take part in: calls only (tRPC's httpBatchLink has no subscriptions), and connect + first call. */
const HTTP_SCENARIOS = ['a', 'g', 'k'] as const;

async function listening(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

function closing(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** duplex's Fetch handler on Node's `http` (`toNodeListener`), the client on `httpTransport()` (a tick's calls in one request). */
export const duplexHttp: BenchSystem = {
  id: 'duplex-http',
  label: 'duplex HTTP (Fetch handler + httpTransport, superjson)',
  richTypes: true,
  scenarios: HTTP_SCENARIOS,
  async startServer({ host }) {
    const { router, publish, subscribers } = benchRouter();
    const handler = createFetchHandler({ router, createContext: () => ({}) });
    const server = createServer(toNodeListener(handler.fetch));
    const port = await listening(server, host);
    return {
      port,
      publish,
      subscribers,
      async close() {
        await handler.close({ drainMs: 0 });
        await closing(server);
      },
    };
  },
  async connect({ host, port }) {
    return duplexClient({ url: `ws://${host}:${port}`, transport: httpTransport(), codec: 'superjson' });
  },
};

/** Request heads tRPC's GET batches may take. */
const MAX_HEAD_BYTES = 1024 * 1024;

const t = initTRPC.create({ transformer: superjson });
const trpcRouter = t.router({
  echo: t.procedure.input(smallSchema).query(({ input }) => input),
  echoLarge: t.procedure.input(largeSchema).query(({ input }) => input),
  echoRich: t.procedure.input(richSchema).mutation(({ input }) => input),
});

/** tRPC v11 over HTTP: the standalone (Node `http`) adapter, the client on `httpBatchLink` with superjson. */
export const trpcHttp: BenchSystem = {
  id: 'trpc-http',
  label: 'tRPC v11 httpBatchLink + superjson',
  richTypes: true,
  scenarios: HTTP_SCENARIOS,
  async startServer({ host }) {
    // httpBatchLink's defaults put a batch of queries in one GET URL however long (100 small queries
    // ≈ 15 KB, a 10 KB input ≈ 25 KB): allow request heads past Node's default 16 KB.
    const server = createServer({ maxHeaderSize: MAX_HEAD_BYTES }, createHTTPHandler({ router: trpcRouter }));
    const port = await listening(server, host);
    return { port, publish: () => {}, subscribers: () => 0, close: () => closing(server) };
  },
  async connect({ host, port }) {
    const client = createTRPCClient<typeof trpcRouter>({ links: [httpBatchLink({ url: `http://${host}:${port}`, transformer: superjson })] });
    return {
      echo: (input) => client.echo.query(input),
      echoLarge: (input) => client.echoLarge.query(input),
      echoRich: (input) => client.echoRich.mutate(input),
      subscribe() {
        throw new Error('httpBatchLink carries no subscriptions');
      },
      close: async () => {},
    };
  },
};
