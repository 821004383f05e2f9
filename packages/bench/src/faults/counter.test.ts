import { findRedis, skipUnless } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { CounterRig, renderCounter } from './counter.js';
import { duplexCounter } from './counter-systems.js';

const redis = await findRedis();

/** Polls `read` until it returns true (bounded). */
async function until(read: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await read()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('npm run bench:faults -- --mode=counter (reduced, duplex only)', skipUnless(redis.missing), () => {
  it(
    '50 mutations across a cut and a SIGKILLed server process whose answers never left it: all settle once, counter 50',
    { timeout: 90_000 },
    async () => {
      const rig = await CounterRig.start(duplexCounter, redis.url ?? '', `duplexbench:test:${process.pid}:${Date.now()}:`);
      try {
        for (let id = 0; id < 20; id++) rig.issue(id);
        await until(() => rig.settledCount === 20, '20 settled');
        rig.cut();
        for (let id = 20; id < 30; id++) rig.issue(id);
        await until(() => rig.settledCount === 30, '30 settled after the cut');
        // The next ten run on the server and their outcomes reach the Redis window, but their
        // answers are held by a half-open link; then the process is SIGKILLed. The client's
        // re-sends reach a new process, which must answer from Redis without running them again.
        await rig.gate('close');
        for (let id = 30; id < 40; id++) rig.issue(id);
        await until(async () => (await rig.counter()) === 40, 'ten more applied');
        rig.hold();
        await rig.gate('open');
        await until(async () => (await rig.storedOutcomes()) === 40, 'their outcomes stored in Redis');
        expect(rig.settledCount).toBe(30);
        await rig.kill();
        rig.cut();
        for (let id = 40; id < 50; id++) rig.issue(id);
        expect(await rig.waitSettled(60_000)).toBe(true);
        const result = await rig.tally(50, 0);
        expect(result).toMatchObject({ settled: 50, ok: 50, unsettled: 0, lost: 0, duplicated: 0, counter: 50, failed: {} });
        expect(result.faults).toEqual({ cuts: 2, stalls: 1, kills: 1 });
        expect(renderCounter([result])).toContain('| duplex (defaults, window in Redis) | 50 / 50 | 50 | 0 | 0 | 0 | 0 | 50 |');
      } finally {
        await rig.close();
      }
    },
  );
});
