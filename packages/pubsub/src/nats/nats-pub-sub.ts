import { type ConnectionOptions, connect, type NatsConnection } from 'nats';
import { backendUnavailable } from '../conflict.js';
import { createPubSub, type PubSubOptions } from '../create-pub-sub.js';
import type { ResumePolicy } from '../resume-policy.js';
import type { AnyEvents, PubSub } from '../types.js';
import { coreDriver } from './core-driver.js';
import { jetStreamDriver } from './jetstream-driver.js';
import { subjectOf } from './subject.js';

/** Options of {@link createNatsPubSub}. */
export interface NatsPubSubOptions extends PubSubOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`, for a connection the adapter opens and closes. */
  servers?: string | string[] | undefined;
  /** Further `connect()` options (credentials, TLS, reconnect) for that connection. */
  connectOptions?: Omit<ConnectionOptions, 'servers'> | undefined;
  /** An existing connection to use instead; the adapter never closes it. */
  connection?: NatsConnection | undefined;
  /**
   * `'jetstream'`: durable, resumes from a stream sequence on any instance.
   * `'core'`: core NATS, at-most-once.
   * @default 'jetstream'
   */
  mode?: 'jetstream' | 'core' | undefined;
  /**
   * First subject token: topic `room:1` is subject `<prefix>.room:1`.
   * @default 'duplex'
   */
  prefix?: string | undefined;
  /**
   * JetStream stream capturing `<prefix>.>`; created if missing (an existing one is used as is).
   * @default 'DUPLEX'
   */
  stream?: string | undefined;
  /**
   * `max_msgs_per_subject` of a stream this adapter creates: events kept per topic for resume.
   * @default 10000
   */
  maxPerTopic?: number | undefined;
  /** Core mode: what a `lastEventId` does (it cannot be replayed). @default 'conflict' */
  resume?: ResumePolicy | undefined;
  /** Sees connection errors and async server errors (they never crash the process). @default no-op */
  onError?: ((error: Error) => void) | undefined;
}

/** The NATS adapter's {@link PubSub}, plus a local subscriber count for diagnostics. */
export interface NatsPubSub<TEvents extends AnyEvents> extends PubSub<TEvents> {
  /** Local subscriptions (core mode: on `topic` when given). */
  subscriberCount(topic?: string): number;
}

/**
 * Pub/sub across processes through NATS (the official `nats` client): JetStream by default, or core NATS.
 * @example const pubsub = createNatsPubSub<Events>({ servers: process.env.NATS_URL });
 */
export function createNatsPubSub<TEvents extends AnyEvents>(options: NatsPubSubOptions = {}): NatsPubSub<TEvents> {
  const prefix = options.prefix ?? 'duplex';
  const toSubject = (topic: string): string => subjectOf(prefix, topic);
  const onError = options.onError ?? (() => {});
  const owned = options.connection === undefined;
  const connection = options.connection ? Promise.resolve(options.connection) : connect({ ...options.connectOptions, servers: options.servers });
  connection.catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));

  const core = options.mode === 'core' ? coreDriver({ connection, subjectOf: toSubject, resume: options.resume ?? 'conflict' }) : undefined;
  const driver =
    core ??
    jetStreamDriver({ connection, stream: options.stream ?? 'DUPLEX', prefix, subjectOf: toSubject, maxPerTopic: options.maxPerTopic ?? 10_000 });
  let closing = false;

  connection.then(
    (nc) => {
      void watch(nc);
      // closed() resolves (with the error, if any); it never rejects.
      void nc.closed().then((error) => {
        if (!closing) core?.failAll(backendUnavailable('NATS', error ?? new Error('connection closed')));
      });
    },
    () => {},
  );

  async function watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'error' && status.data instanceof Error) onError(status.data);
      // Core NATS loses whatever is published while disconnected: end subscriptions so the gap is
      // visible. JetStream ordered consumers re-create themselves from their last sequence instead.
      if (status.type === 'disconnect') core?.failAll(backendUnavailable('NATS', new Error(`disconnected from ${String(status.data)}`)));
    }
  }

  const pubsub = createPubSub<TEvents>(
    {
      publish: (topic, message) => driver.publish(topic, message),
      subscribe: (topic, opts) => driver.subscribe(topic, opts),
      async close() {
        closing = true;
        await driver.close();
        if (owned) await (await connection.catch(() => undefined))?.drain().catch(() => {});
      },
    },
    options,
  );
  return { ...pubsub, subscriberCount: (topic) => (core ? core.subscriberCount(topic === undefined ? undefined : toSubject(topic)) : driver.subscriberCount()) };
}
