import { createClient, type RedisClientOptions } from 'redis';

/** The part of a node-redis client this adapter uses, typed once instead of node-redis's deep generics. */
export interface RedisConnection {
  sendCommand<TReply = unknown>(args: ReadonlyArray<string>): Promise<TReply>;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
  connect(): Promise<unknown>;
  readonly isReady: boolean;
  /** False once closed or after node-redis gave up reconnecting. */
  readonly isOpen: boolean;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/** Connection options passed to node-redis `createClient`; `RESP` and `name` are set by the adapter. */
export type RedisConnectionOptions = Omit<RedisClientOptions, 'RESP' | 'name'>;

/**
 * Creates a node-redis client that speaks RESP2 (plain arrays from `sendCommand`, whatever the
 * server's default) with an `error` listener attached before connecting: node-redis emits `error`
 * on every failed reconnect, and an EventEmitter without a listener would crash the process.
 */
export function openRedisConnection(options: RedisConnectionOptions, name: string, onError: (error: Error) => void): RedisConnection {
  const client = createClient({ ...options, RESP: 2, name }) as unknown as RedisConnection;
  client.on('error', onError);
  return client;
}

/**
 * Resolves when the connection is ready; rejects at its next error instead of waiting through
 * node-redis's endless reconnect attempts, so a publish while Redis is down fails fast.
 */
export function whenReady(connection: RedisConnection): Promise<void> {
  if (connection.isReady) return Promise.resolve();
  if (!connection.isOpen) return Promise.reject(new Error('Redis connection is closed'));
  // One pair of listeners per connection however many callers wait (no MaxListeners warnings).
  let waiting = pending.get(connection);
  if (!waiting) {
    waiting = new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        connection.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        connection.off('ready', onReady);
        reject(error);
      };
      connection.on('ready', onReady);
      connection.on('error', onError);
    });
    const settled = (): void => {
      pending.delete(connection);
    };
    waiting.then(settled, settled);
    pending.set(connection, waiting);
  }
  return waiting;
}

const pending = new WeakMap<RedisConnection, Promise<void>>();
