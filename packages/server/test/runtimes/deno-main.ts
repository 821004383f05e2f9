/** Runs the server suite on Deno's own server and WebSocket: `deno run -A --sloppy-imports --conditions=@duplex/source deno-main.ts`. */
import type { WebSocketConstructor } from '@duplex/client';
import { createDenoServer } from '@duplex/server/deno';
import { type Harness, runAll } from './suite.js';

const harness: Harness = {
  runtime: 'deno',
  WebSocket: (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket,
  async start(router, options, port = 0) {
    const server = createDenoServer({ router, ...options });
    const bound = await server.listen({ port, host: '127.0.0.1' });
    return { port: bound.port, close: (opts) => server.close(opts), stats: () => server.stats() };
  },
};

const failed = await runAll(harness, (line) => console.log(line));
process.exit(failed === 0 ? 0 : 1);
