import { connect } from 'node:net';

/** Where a broker answers, or why none does. */
export type BrokerLookup = { url: string; missing?: undefined } | { url?: undefined; missing: string };

interface Broker {
  name: string;
  env: string;
  defaultUrl: string;
  start: string;
}

const REDIS: Broker = { name: 'Redis', env: 'REDIS_URL', defaultUrl: 'redis://127.0.0.1:6379', start: 'redis-server' };
const NATS: Broker = { name: 'NATS', env: 'NATS_URL', defaultUrl: 'nats://127.0.0.1:4222', start: 'nats-server -js' };

/** Resolves whether something accepts TCP connections at `host:port` within `timeoutMs`. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function findBroker(broker: Broker, env: NodeJS.ProcessEnv): Promise<BrokerLookup> {
  // An explicit URL is used as given: if it does not answer, the tests fail and say so.
  const explicit = env[broker.env];
  if (explicit) return { url: explicit };
  const { hostname, port } = new URL(broker.defaultUrl);
  if (await portAnswers(hostname, Number(port))) return { url: broker.defaultUrl };
  return { missing: `${broker.name} tests: nothing answers at ${hostname}:${port}, start \`${broker.start}\` or set ${broker.env}` };
}

/** Finds Redis for broker tests: `REDIS_URL` if set, else `redis://127.0.0.1:6379` when that port answers. */
export function findRedis(env: NodeJS.ProcessEnv = process.env): Promise<BrokerLookup> {
  return findBroker(REDIS, env);
}

/** Finds NATS for broker tests: `NATS_URL` if set, else `nats://127.0.0.1:4222` when that port answers. */
export function findNats(env: NodeJS.ProcessEnv = process.env): Promise<BrokerLookup> {
  return findBroker(NATS, env);
}
