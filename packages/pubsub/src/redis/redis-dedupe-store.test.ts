import { initDuplex } from '@duplex/server';
import { deferred, findRedis, skipUnless, startProxy, startServer } from '@duplex/test-utils';
import { nanoid } from 'nanoid';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRedisDedupeStore } from './redis-dedupe-store.js';

const redis = await findRedis();
const url = redis.url;
const prefix = `duplex-test-${nanoid(8)}:`;
const fast = { minDelayMs: 10, maxDelayMs: 50 };

function makeShop() {
  const d = initDuplex.create();
  const state = { runs: 0, started: deferred(), release: deferred() };
  const router = d.router({
    order: d.procedure.input(z.object({ item: z.string() })).mutation(async ({ input }) => {
      state.runs++;
      state.started.resolve();
      await state.release.promise;
      return { item: input.item, at: new Date(0), run: state.runs };
    }),
  });
  return { router, state };
}
type Shop = ReturnType<typeof makeShop>['router'];

describe('Redis dedupe store: exactly-once across processes', skipUnless(redis.missing), () => {
  const stores = [createRedisDedupeStore({ url, keyPrefix: prefix }), createRedisDedupeStore({ url, keyPrefix: prefix })];
  afterAll(async () => {
    const admin = createClient({ url, RESP: 2 });
    admin.on('error', () => {});
    await admin.connect();
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await admin.sendCommand(['DEL', ...keys]);
    admin.destroy();
    await Promise.all(stores.map((store) => store.close()));
  });

  it.each([
    ['after the first server completed it', true],
    ['while the first server still runs it', false],
  ])('a mutation cut on one server and re-sent to another runs once (%s)', async (_name, completeFirst) => {
    const { router, state } = makeShop();
    const first = await startServer(router, { dedupe: stores[0] });
    await using second = await startServer(router, { dedupe: stores[1] });
    await using proxy = await startProxy(first.port);
    const client = second.client<Shop>({ url: proxy.url, reconnect: fast });
    const ordered = client.order.mutate({ item: 'book' });
    await state.started.promise;
    proxy.retarget(second.port);
    const reopened = proxy.nextLink();
    if (completeFirst) {
      state.release.resolve();
      proxy.cut();
    } else {
      proxy.cut();
      await reopened;
      state.release.resolve();
    }
    await expect(ordered).resolves.toEqual({ item: 'book', at: new Date(0), run: 1 });
    expect(state.runs).toBe(1);
    await first[Symbol.asyncDispose]();
  });

  it('keeps maxEntries per session and refuses a forgotten seq with expired', async () => {
    const store = createRedisDedupeStore({ url, keyPrefix: prefix, maxEntries: 2 });
    const sid = `s-${nanoid(16)}`;
    for (const seq of [1, 2, 3]) {
      const claim = await store.claim({ kind: 'session', sid, seq, floor: 1 });
      expect(claim.status).toBe('run');
      if (claim.status === 'run') claim.complete({ ok: true, data: seq });
      await expect.poll(async () => (await store.claim({ kind: 'session', sid, seq, floor: 1 })).status).toBe('done');
    }
    expect((await store.claim({ kind: 'session', sid, seq: 1, floor: 1 })).status).toBe('expired');
    expect(await store.claim({ kind: 'session', sid, seq: 3, floor: 1 })).toEqual({ status: 'done', outcome: { ok: true, data: 3 } });
    const other = await store.claim({ kind: 'key', path: 'pay', key: `k-${sid}`, fingerprint: 'a' });
    if (other.status === 'run') other.complete({ ok: true, data: 'paid' });
    await expect.poll(async () => (await store.claim({ kind: 'key', path: 'pay', key: `k-${sid}`, fingerprint: 'b' })).status).toBe('mismatch');
    await store.close();
  });
});
