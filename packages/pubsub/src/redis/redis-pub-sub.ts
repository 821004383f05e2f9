import { backendUnavailable } from '../conflict.js';
import { createPubSub, type PubSubOptions } from '../create-pub-sub.js';
import type { AnyEvents, PubSub } from '../types.js';
import type { ResumePolicy } from '../resume-policy.js';
import { channelsDriver } from './channels-driver.js';
import { openRedisConnection, type RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { StreamReader } from './stream-reader.js';
import { streamsDriver } from './streams-driver.js';

/** Options of {@link createRedisPubSub}. */
export interface RedisPubSubOptions extends PubSubOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`; or give full node-redis options in `connection`. */
  url?: string | undefined;
  /** node-redis `createClient` options (socket, TLS, credentials, reconnect strategy). */
  connection?: RedisConnectionOptions | undefined;
  /**
   * `'streams'`: durable, one Redis Stream per topic, `lastEventId` resumes on any instance.
   * `'pubsub'`: Redis PUBLISH/SUBSCRIBE, at-most-once, nothing stored.
   * @default 'streams'
   */
  mode?: 'streams' | 'pubsub' | undefined;
  /**
   * Prefix of every stream key / channel name.
   * @default 'duplex:'
   */
  keyPrefix?: string | undefined;
  /**
   * Streams mode: approximate number of events kept per topic (`XADD … MAXLEN ~ n`); a resume from
   * an id older than that ends with `CONFLICT`.
   * @default 10000
   */
  maxLen?: number | undefined;
  /**
   * Pub/sub mode: `'conflict'` ends a subscription given a `lastEventId` with `CONFLICT` (the gap
   * cannot be replayed); `'live'` accepts the loss and continues with live events.
   * @default 'conflict'
   */
  resume?: ResumePolicy | undefined;
  /** Sees every connection error (they never crash the process). @default no-op */
  onError?: ((error: Error) => void) | undefined;
}

/** The Redis adapter's {@link PubSub}, plus diagnostics. */
export interface RedisPubSub<TEvents extends AnyEvents> extends PubSub<TEvents> {
  /** Local subscriptions on `topic`, or on every topic. */
  subscriberCount(topic?: string): number;
  /** Prefix of this instance's connection names (`CLIENT LIST name=…`): `<prefix>-cmd`, `-reader`, `-sub`. */
  readonly connectionName: string;
}

/**
 * Pub/sub across processes through Redis (node-redis): durable Streams by default, or plain pub/sub.
 * Opens two connections per instance (commands, and one shared blocking reader or subscriber).
 * @example const pubsub = createRedisPubSub<Events>({ url: process.env.REDIS_URL });
 */
export function createRedisPubSub<TEvents extends AnyEvents>(options: RedisPubSubOptions = {}): RedisPubSub<TEvents> {
  const prefix = options.keyPrefix ?? 'duplex:';
  const keyOf = (topic: string): string => `${prefix}${topic}`;
  const connectionName = `duplex-pubsub-${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const onError = options.onError ?? (() => {});
  const base: RedisConnectionOptions = { ...options.connection, ...(options.url ? { url: options.url } : {}) };
  const command = openRedisConnection(base, `${connectionName}-cmd`, onError);

  if (options.mode === 'pubsub') {
    const subscriber = openRedisConnection(base, `${connectionName}-sub`, (error) => {
      onError(error);
      driver.failAll(backendUnavailable('Redis', error));
    });
    connectAll([command, subscriber]);
    const driver = channelsDriver({ command, subscriber, keyOf, resume: options.resume ?? 'conflict' });
    const pubsub = createPubSub<TEvents>(
      {
        ...driver,
        close: async () => {
          await driver.close();
          await closeAll([command, subscriber]);
        },
      },
      options,
    );
    return { ...pubsub, connectionName, subscriberCount: (topic) => driver.subscriberCount(topic === undefined ? undefined : keyOf(topic)) };
  }

  const readerConnection = openRedisConnection(base, `${connectionName}-reader`, (error) => {
    onError(error);
    reader.failAll(backendUnavailable('Redis', error));
  });
  const reader = new StreamReader({ reader: readerConnection, command, wakeKey: `${prefix}~wake:${connectionName}`, onError });
  connectAll([command, readerConnection]);
  void reader.start();
  const driver = streamsDriver({ command, reader, keyOf, maxLen: options.maxLen ?? 10_000 });
  const pubsub = createPubSub<TEvents>(
    {
      ...driver,
      async close() {
        await driver.close();
        if (command.isReady) await command.sendCommand(['DEL', `${prefix}~wake:${connectionName}`]).catch(() => {});
        await closeAll([command, readerConnection]);
      },
    },
    options,
  );
  return { ...pubsub, connectionName, subscriberCount: (topic) => reader.subscriberCount(topic === undefined ? undefined : keyOf(topic)) };
}

function connectAll(connections: RedisConnection[]): void {
  // connect() settles only once connected (it retries meanwhile); callers wait with whenReady().
  for (const connection of connections) connection.connect().catch(() => {});
}

async function closeAll(connections: RedisConnection[]): Promise<void> {
  // destroy(), not close(): a blocked XREAD would hold a graceful close until it returns.
  for (const connection of connections) {
    try {
      connection.destroy();
    } catch {
      // Already closed (e.g. node-redis gave up reconnecting): nothing left to release.
    }
  }
}
