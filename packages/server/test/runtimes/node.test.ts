import type { WebSocketConstructor } from '@duplex/client';
import { createWsServer } from '@duplex/server';
import { describe, it } from 'vitest';
import { WebSocket } from 'ws';
import { cases, type Harness } from './suite.js';

const harness: Harness = {
  runtime: 'node',
  WebSocket: ((globalThis as { WebSocket?: unknown }).WebSocket ?? WebSocket) as WebSocketConstructor,
  async start(router, options, port = 0) {
    const server = createWsServer({ router, ...options });
    const bound = await server.listen({ port, host: '127.0.0.1' });
    return { port: bound.port, close: (opts) => server.close(opts), stats: () => server.stats() };
  },
};

describe('server behaviour on Node (ws), the suite Bun and Deno run too', () => {
  for (const test of cases) it(test.name, () => test.run(harness));
});
