import * as server from '@duplex/server';
import { describe, expect, it } from 'vitest';
import { createServerWork } from './server-work.js';

// The work of `npm run bench:server-ab`, small: it must keep running against the current server
// (its figures are the bench's business, never asserted here).
describe('bench:server-ab work', () => {
  it('answers frames of calls and delivers events to every subscriber', async () => {
    const work = await createServerWork(server);
    // Each resolves only once every answer (3 × 64) or delivery (3 × 100) has gone out.
    await expect(work.calls(3)).resolves.toBeUndefined();
    await expect(work.fanOut(3)).resolves.toBeUndefined();
  });
});
