import { DEFAULT_STREAM_WINDOW } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { echo, stalled, upload } from './stream-scenarios.js';
import { streamRouter } from './stream-router.js';

// The stream scenarios of `npm run bench:streams`, small and in-process: they must keep working
// (their figures are the bench's business, never asserted here).
describe('bench:streams scenarios', () => {
  it('uploads with a fast and a slow handler, echoes in order, and a stalled reader holds the producer', async () => {
    await using srv = await startServer(streamRouter);
    expect((await upload(srv.port, 'uploadFast', 2, 64, false)).mibPerSec).toBeGreaterThan(0);
    expect((await upload(srv.port, 'uploadSlow', 1, 64, false)).mibPerSec).toBeGreaterThan(0);
    expect(await echo(srv.port, 300)).toMatchObject({ received: 300, inOrder: true });
    const result = await stalled(srv.port, 50);
    expect(result.beyond).toBeLessThanOrEqual(DEFAULT_STREAM_WINDOW);
  });
});
