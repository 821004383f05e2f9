/** Runs the server suites on Bun's own server and WebSocket: `bun --conditions=@duplex/source bun-main.ts`. */
import type { WebSocketConstructor } from '@duplex/client';
import { createBunServer } from '@duplex/server/bun';
import { createFetchHandler } from '@duplex/server/fetch';
import { runAll } from './run-all.js';

interface BunServe {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Promise<Response> }): { port: number; stop(force?: boolean): Promise<void> };
}
const bun = (globalThis as unknown as { Bun: BunServe }).Bun;

const failed = await runAll(
  {
    runtime: 'bun',
    WebSocket: (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket,
    async start(router, options, port = 0) {
      const server = createBunServer({ router, ...options });
      const bound = await server.listen({ port, host: '127.0.0.1' });
      return { port: bound.port, close: (opts) => server.close(opts), stats: () => server.stats() };
    },
    async startHttp(router, options) {
      const handler = createFetchHandler({ router, ...options });
      const served = bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler.fetch });
      return {
        port: served.port,
        close: async () => {
          await handler.close({ drainMs: 0 });
          await served.stop(true);
        },
      };
    },
  },
  (line) => console.log(line),
);
process.exit(failed === 0 ? 0 : 1);
