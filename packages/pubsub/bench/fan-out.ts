/**
 * Fan-out throughput: one publisher, 3 subscriber processes × `SUBSCRIBERS` subscriptions each,
 * through every adapter; reported as events/s and as a ratio to the in-process memory adapter.
 *
 *   npm run bench -w @duplex/pubsub            (REDIS_URL / NATS_URL select the broker adapters)
 *   EVENTS=5000 SUBSCRIBERS=10 npm run bench -w @duplex/pubsub
 */
import { fork } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { PubSub } from '../src/index.js';
import { createMemoryPubSub } from '../src/memory/index.js';
import { createNatsPubSub } from '../src/nats/index.js';
import { createRedisPubSub } from '../src/redis/index.js';

type Events = Record<string, { n: number; at: Date }>;
type AdapterName = 'memory' | 'redis-streams' | 'redis-pubsub' | 'nats-jetstream' | 'nats-core';

const EVENTS = Number(process.env.EVENTS ?? 2000);
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 10);
const PROCESSES = 3;
const CONCURRENCY = 64;
// Workers inherit the parent's run id, so every process uses the same keys / subjects.
const runId = (process.env.BENCH_RUN_ID ??= Date.now().toString(36));

function create(adapter: AdapterName): PubSub<Events> {
  switch (adapter) {
    case 'memory':
      return createMemoryPubSub<Events>();
    case 'redis-streams':
      return createRedisPubSub<Events>({ url: process.env.REDIS_URL, keyPrefix: `duplex-bench-${runId}:`, maxLen: EVENTS * 2 });
    case 'redis-pubsub':
      return createRedisPubSub<Events>({ url: process.env.REDIS_URL, keyPrefix: `duplex-bench-${runId}:`, mode: 'pubsub' });
    case 'nats-jetstream':
      return createNatsPubSub<Events>({ servers: process.env.NATS_URL, prefix: `duplexbench${runId}`, stream: `DUPLEX_BENCH_${runId}` });
    case 'nats-core':
      return createNatsPubSub<Events>({ servers: process.env.NATS_URL, prefix: `duplexbench${runId}core`, mode: 'core' });
  }
}

/** Subscribes `count` times to `topic`; resolves `ready` when live and `done` after `EVENTS` events each. */
async function subscribeAll(pubsub: PubSub<Events>, topic: string, count: number, signal: AbortSignal) {
  // Every subscription listens to this one signal; in a server each has its own.
  setMaxListeners(count + 10, signal);
  const subs = Array.from({ length: count }, () => pubsub.subscribe(topic, { signal }));
  await Promise.all(subs.map((sub) => sub.ready));
  const done = Promise.all(
    subs.map(async (sub) => {
      let seen = 0;
      for await (const _event of sub) if (++seen === EVENTS) return;
    }),
  );
  // Wrapped: an async function returning a promise would wait for it.
  return { done };
}

async function publishAll(pubsub: PubSub<Events>, topic: string): Promise<void> {
  for (let start = 0; start < EVENTS; start += CONCURRENCY) {
    const batch: Promise<string>[] = [];
    for (let n = start; n < Math.min(start + CONCURRENCY, EVENTS); n++) batch.push(pubsub.publish(topic, { n, at: new Date() }));
    await Promise.all(batch);
  }
}

/** Child process: subscribe, say ready, say done. */
async function worker(adapter: AdapterName, topic: string): Promise<void> {
  const pubsub = create(adapter);
  const controller = new AbortController();
  const { done } = await subscribeAll(pubsub, topic, SUBSCRIBERS, controller.signal);
  process.send?.('ready');
  await done;
  process.send?.('done');
  controller.abort();
  await pubsub.close();
  process.disconnect();
}

async function measure(adapter: AdapterName): Promise<number> {
  const topic = `fanout-${adapter}`;
  const pubsub = create(adapter);
  const controller = new AbortController();
  let started: number;
  if (adapter === 'memory') {
    // In-process baseline: the same number of subscribers, no broker, no process hop.
    const { done } = await subscribeAll(pubsub, topic, SUBSCRIBERS * PROCESSES, controller.signal);
    started = performance.now();
    await publishAll(pubsub, topic);
    await done;
  } else {
    const script = fileURLToPath(import.meta.url);
    const children = Array.from({ length: PROCESSES }, () =>
      fork(script, ['worker', adapter, topic], { execArgv: ['--conditions=@duplex/source', '--import', 'tsx'], env: { ...process.env } }),
    );
    const message = (child: (typeof children)[number], expected: string) =>
      new Promise<void>((resolve, reject) => {
        child.on('message', (value) => value === expected && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${String(code)}`)));
      });
    const done = children.map((child) => message(child, 'done'));
    await Promise.all(children.map((child) => message(child, 'ready')));
    started = performance.now();
    await publishAll(pubsub, topic);
    await Promise.all(done);
  }
  const seconds = (performance.now() - started) / 1000;
  controller.abort();
  await pubsub.close();
  return EVENTS / seconds;
}

async function main(): Promise<void> {
  const [mode, adapter, topic] = process.argv.slice(2);
  if (mode === 'worker' && adapter && topic) return worker(adapter as AdapterName, topic);

  const adapters: AdapterName[] = ['memory'];
  if (process.env.REDIS_URL) adapters.push('redis-streams', 'redis-pubsub');
  if (process.env.NATS_URL) adapters.push('nats-jetstream', 'nats-core');
  console.log(`fan-out: ${EVENTS} events → ${PROCESSES} processes × ${SUBSCRIBERS} subscribers (publish concurrency ${CONCURRENCY})`);
  const rows: Array<{ adapter: AdapterName; rate: number }> = [];
  for (const adapter of adapters) {
    const rate = await measure(adapter);
    console.log(`${adapter}: ${Math.round(rate)} events/s`);
    rows.push({ adapter, rate });
  }
  const baseline = rows[0]?.rate ?? 1;
  console.table(
    rows.map(({ adapter, rate }) => ({
      adapter,
      'events/s': Math.round(rate),
      'deliveries/s': Math.round(rate * PROCESSES * SUBSCRIBERS),
      'vs memory': `${(rate / baseline).toFixed(3)}×`,
    })),
  );
  await cleanup();
}

/** Deletes the bench's streams (Redis keys, JetStream stream). */
async function cleanup(): Promise<void> {
  if (process.env.REDIS_URL) {
    const { createClient } = await import('redis');
    const redis = createClient({ url: process.env.REDIS_URL });
    redis.on('error', () => {});
    await redis.connect();
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `duplex-bench-${runId}:*` })) keys.push(...batch);
    if (keys.length > 0) await redis.del(keys);
    redis.destroy();
  }
  if (process.env.NATS_URL) {
    const { connect } = await import('nats');
    const nc = await connect({ servers: process.env.NATS_URL });
    await (await nc.jetstreamManager()).streams.delete(`DUPLEX_BENCH_${runId}`).catch(() => false);
    await nc.drain();
  }
}

await main();
