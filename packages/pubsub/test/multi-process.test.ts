import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, type DuplexClient } from '@duplex/client';
import { deferred, findNats, findRedis, nodeWebSocket, skipUnless } from '@duplex/test-utils';
import { customAlphabet } from 'nanoid';
import { connect } from 'nats';
import { createClient as createRedisClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { startLoadBalancer } from './fixtures/load-balancer.js';
import type { RoomRouter } from './fixtures/router.js';

const runId = customAlphabet('abcdefghijklmnopqrstuvwxyz0123456789', 10)();
const serverScript = fileURLToPath(new URL('./fixtures/server.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Instance {
  child: ChildProcess;
  port: number;
  pid: number;
  exited: Promise<void>;
}

/** Forks one server process running TypeScript sources, resolved through the `@duplex/source` condition. */
function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = fork(serverScript, [], {
    cwd: packageDir,
    execArgv: ['--conditions=@duplex/source', '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited early with ${String(code)}`)));
    child.once('message', (message) => {
      const { port } = message as { port: number };
      resolve({ child, port, pid: child.pid ?? 0, exited });
    });
  });
}

interface Received {
  ns: number[];
  ids: string[];
  errors: unknown[];
}

const [redisLookup, natsLookup] = await Promise.all([findRedis(), findNats()]);
const adapters = [
  { name: 'redis streams', adapter: 'redis', broker: redisLookup, urlEnv: 'REDIS_URL' },
  { name: 'nats jetstream', adapter: 'nats', broker: natsLookup, urlEnv: 'NATS_URL' },
] as const;

describe.each(adapters)('3 server processes behind a load balancer, $name', ({ adapter, broker, urlEnv }) => {
  const enabled = broker.url !== undefined;
  const prefix = `duplexmp${runId}${adapter}`;
  const stream = `DUPLEX_MP_${runId}`;
  const instances: Instance[] = [];
  const clients: Array<DuplexClient<RoomRouter>> = [];

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const instance of instances) {
      if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.send('close');
      await instance.exited;
    }
    if (!enabled) return;
    if (adapter === 'redis') {
      const redis = createRedisClient({ url: broker.url });
      redis.on('error', () => {});
      await redis.connect();
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
      if (keys.length > 0) await redis.del(keys);
      redis.destroy();
    } else {
      const nc = await connect({ servers: broker.url });
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
      await nc.drain();
    }
  });

  it(
    'every subscriber on every instance gets every event once, in order, and a killed instance’s clients resume elsewhere with no loss',
    { ...skipUnless(broker.missing), timeout: 60_000 },
    async () => {
      const env = { PUBSUB_ADAPTER: adapter, PUBSUB_PREFIX: prefix, PUBSUB_STREAM: stream, [urlEnv]: broker.url ?? '' };
      instances.push(...(await Promise.all([startInstance(env), startInstance(env), startInstance(env)])));
      const [first, doomed] = instances;
      if (!first || !doomed) throw new Error('instances did not start');
      await using balancer = await startLoadBalancer(instances.map((instance) => instance.port));
      const client = (url: string) => {
        const made = createClient<RoomRouter>({ url, WebSocket: nodeWebSocket(), reconnect: { minDelayMs: 10, maxDelayMs: 100 } });
        clients.push(made);
        return made;
      };

      // The publisher talks to instance 0 directly; subscribers go through the balancer (round robin).
      const publisher = client(`ws://127.0.0.1:${first.port}`);
      const room = `r-${runId}`;
      const seed = await publisher.publish.mutate({ room, n: 0 });
      const total = 30;
      const subscribers = Array.from({ length: 6 }, () => client(`ws://127.0.0.1:${balancer.port}`));
      const homes = await Promise.all(subscribers.map((subscriber) => subscriber.whoami.query()));
      expect(new Set(homes)).toEqual(new Set(instances.map((instance) => instance.pid)));

      const received: Received[] = subscribers.map(() => ({ ns: [], ids: [], errors: [] }));
      const done = subscribers.map((subscriber, index) => {
        const all = deferred();
        const log = received[index] as Received;
        subscriber.onEvent.subscribe(
          { room, after: seed },
          {
            onData(event, { id }) {
              expect(event.at).toBeInstanceOf(Date);
              log.ns.push(event.n);
              log.ids.push(id ?? '');
              if (log.ns.length >= total) all.resolve();
            },
            onError(error) {
              log.errors.push(error);
              all.reject(error);
            },
          },
        );
        return all.promise;
      });

      for (let n = 1; n <= 10; n++) await publisher.publish.mutate({ room, n });
      // Kill one instance mid-stream (its clients may not have seen all ten yet), publish into the gap.
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      balancer.markDown(doomed.port);
      for (let n = 11; n <= total; n++) await publisher.publish.mutate({ room, n });
      await Promise.all(done);

      const expected = Array.from({ length: total }, (_, index) => index + 1);
      for (const log of received) {
        expect(log.errors).toEqual([]);
        expect(log.ns).toEqual(expected);
        expect(new Set(log.ids).size).toBe(total);
      }
      // Those that lived on the killed instance are now served by another one.
      const movedFrom = homes.flatMap((pid, index) => (pid === doomed.pid ? [index] : []));
      expect(movedFrom.length).toBe(2);
      for (const index of movedFrom) {
        const now = await (subscribers[index] as DuplexClient<RoomRouter>).whoami.query();
        expect(now).not.toBe(doomed.pid);
      }
    },
  );
});
