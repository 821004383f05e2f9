/**
 * One server process of the `--mode=counter` fault bench (forked by counter.ts, and SIGKILLed by
 * it): serves one system's counter app on 127.0.0.1 and reports its port over IPC.
 * Environment: COUNTER_SYSTEM, COUNTER_PORT, REDIS_URL, COUNTER_PREFIX. The IPC message
 * `{ gate: 'close' }` makes handlers wait after applying until `{ gate: 'open' }` (the reduced
 * test uses it to hold answers until the link is stalled).
 */
import { createClient } from 'redis';
import { counterSystemById } from './counter-systems.js';

/** Records the id and increments the counter in one atomic step. */
const APPLY = `redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return redis.call('INCR', KEYS[2])`;

const env = process.env;
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = env.COUNTER_PREFIX ?? 'duplexbench:';
const redis = createClient({ url: redisUrl, RESP: 2 });
redis.on('error', () => {});
await redis.connect();
let gate: { promise: Promise<void>; open: () => void } | undefined;
process.on('message', (message: { gate?: 'open' | 'close' }) => {
  if (message.gate === 'close' && !gate) {
    let open = () => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    gate = { promise, open };
  } else if (message.gate === 'open') {
    gate?.open();
    gate = undefined;
  }
});
const apply = async (id: number): Promise<number> => {
  const counter = Number(await redis.sendCommand(['EVAL', APPLY, '2', `${keyPrefix}applied`, `${keyPrefix}counter`, String(id)]));
  if (gate) await gate.promise;
  return counter;
};
const server = await counterSystemById(env.COUNTER_SYSTEM ?? 'duplex').startServer({
  port: Number(env.COUNTER_PORT ?? 0),
  apply,
  redisUrl,
  keyPrefix,
});
process.send?.({ port: server.port });
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
