/** Runs the server suites on Deno's own server and WebSocket: `deno run -A --sloppy-imports --conditions=@duplex/source deno-main.ts`. */
import type { WebSocketConstructor } from '@duplex/client';
import { createDenoServer } from '@duplex/server/deno';
import { createFetchHandler } from '@duplex/server/fetch';
import { runAll } from './run-all.js';

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: (request: Request) => Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;

const failed = await runAll(
  {
    runtime: 'deno',
    WebSocket: (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket,
    async start(router, options, port = 0) {
      const server = createDenoServer({ router, ...options });
      const bound = await server.listen({ port, host: '127.0.0.1' });
      return { port: bound.port, close: (opts) => server.close(opts), stats: () => server.stats() };
    },
    async startHttp(router, options) {
      const handler = createFetchHandler({ router, ...options });
      const served = deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, handler.fetch);
      return {
        port: served.addr.port,
        close: async () => {
          await handler.close({ drainMs: 0 });
          await served.shutdown();
        },
      };
    },
  },
  (line) => console.log(line),
);
process.exit(failed === 0 ? 0 : 1);
