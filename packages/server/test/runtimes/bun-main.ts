/** Runs the server suite on Bun's own server and WebSocket: `bun --conditions=@duplex/source bun-main.ts`. */
import type { WebSocketConstructor } from '@duplex/client';
import { createBunServer } from '@duplex/server/bun';
import { type Harness, runAll } from './suite.js';

const harness: Harness = {
  runtime: 'bun',
  WebSocket: (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket,
  async start(router, options, port = 0) {
    const server = createBunServer({ router, ...options });
    const bound = await server.listen({ port, host: '127.0.0.1' });
    return { port: bound.port, close: (opts) => server.close(opts), stats: () => server.stats() };
  },
};

const failed = await runAll(harness, (line) => console.log(line));
process.exit(failed === 0 ? 0 : 1);
