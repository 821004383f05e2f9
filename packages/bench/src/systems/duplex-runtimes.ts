import { createBunServer } from '@duplex/server/bun';
import { createDenoServer } from '@duplex/server/deno';
import { WebSocket } from 'ws';
import type { BenchSystem } from '../system.js';
import { duplexClient } from './duplex-client.js';
import { benchRouter } from './duplex-router.js';

/**
 * duplex served by Bun's or Deno's own server and WebSocket: the same router and options as the
 * `duplex` system, the server process started under that runtime (`runtime`), the load generator
 * the same Node client (superjson, `ws`).
 */
function duplexOn(runtime: 'bun' | 'deno'): BenchSystem {
  return {
    id: `duplex-${runtime}`,
    label: `duplex on ${runtime === 'bun' ? 'Bun' : 'Deno'} (superjson)`,
    richTypes: true,
    runtime,
    async startServer({ host }) {
      const { router, publish, subscribers } = benchRouter();
      const options = { router, createContext: () => ({}) };
      const server = runtime === 'bun' ? createBunServer(options) : createDenoServer(options);
      const { port } = await server.listen({ port: 0, host });
      return { port, publish, subscribers, close: () => server.close() };
    },
    async connect({ host, port }) {
      return duplexClient({ url: `ws://${host}:${port}`, WebSocket, codec: 'superjson' });
    },
  };
}

/** duplex on Bun (`Bun.serve`, uWebSockets). */
export const duplexBun: BenchSystem = duplexOn('bun');
/** duplex on Deno (`Deno.serve` + `Deno.upgradeWebSocket`). */
export const duplexDeno: BenchSystem = duplexOn('deno');
