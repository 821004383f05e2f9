import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { autoTransport } from '@duplex/client/http';
import { createWsServer } from '@duplex/server';
import { createFetchHandler } from '@duplex/server/fetch';
import { toNodeListener } from '@duplex/server/node';
import { WebSocket } from 'ws';
import type { BenchSystem } from '../system.js';
import { duplexClient } from './duplex-client.js';
import { benchRouter } from './duplex-router.js';
import { startRefusingProxy } from './refusing-proxy.js';

/**
 * duplex behind a proxy that refuses WebSocket upgrades (403): the server serves the socket and
 * the Fetch handler on one port, the proxy forwards only plain HTTP, and the client's
 * `autoTransport()` falls back to HTTP within its first connect. Scenario (g) measures the
 * fallback target: the first successful call within 1 s.
 */
export const duplexProxied: BenchSystem = {
  id: 'duplex-auto-proxied',
  label: 'duplex autoTransport behind a proxy refusing upgrades',
  richTypes: true,
  scenarios: ['a', 'g'],
  async startServer({ host }) {
    const { router, publish, subscribers } = benchRouter();
    const http = createFetchHandler({ router, createContext: () => ({}) });
    const server = createServer(toNodeListener(http.fetch));
    const ws = createWsServer({ router, createContext: () => ({}) });
    ws.attach(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const proxy = await startRefusingProxy({ host, target: (server.address() as AddressInfo).port });
    return {
      port: proxy.port,
      publish,
      subscribers,
      async close() {
        await proxy.close();
        await ws.close({ drainMs: 0 });
        await http.close({ drainMs: 0 });
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
  async connect({ host, port }) {
    return duplexClient({ url: `ws://${host}:${port}`, WebSocket, transport: autoTransport(), codec: 'superjson' });
  },
};
