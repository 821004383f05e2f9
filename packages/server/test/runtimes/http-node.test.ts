import { createServer } from 'node:http';
import { toNodeListener } from '@duplex/server/node';
import { createFetchHandler } from '@duplex/server/fetch';
import { describe, it } from 'vitest';
import { type HttpHarness, httpCases } from './http-suite.js';

const harness: HttpHarness = {
  runtime: 'node',
  async startHttp(router, options) {
    const handler = createFetchHandler({ router, ...options });
    const server = createServer(toNodeListener(handler.fetch));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return {
      port: address.port,
      close: async () => {
        await handler.close({ drainMs: 0 });
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
};

describe('the Fetch handler on Node http (the suite Bun and Deno run too)', () => {
  for (const test of httpCases) it(test.name, () => test.run(harness));
});
