import { backendUnavailable, resumeConflict } from '../conflict.js';
import { countQueues, type PubSubDriver, type RawEvent, settleQueues } from '../driver.js';
import { EventQueue } from '../event-queue.js';
import type { ResumePolicy } from '../resume-policy.js';
import { type RedisConnection, whenReady } from './redis-connection.js';


/** Options of {@link channelsDriver}. */
export interface ChannelsDriverOptions {
  command: RedisConnection;
  subscriber: RedisConnection;
  keyOf: (topic: string) => string;
  resume: ResumePolicy;
}

/** The pub/sub driver plus what the adapter needs to surface connection loss and count subscribers. */
export interface ChannelsDriver extends PubSubDriver {
  /** Ends every local subscription with `error` (their Redis subscriptions are released). */
  failAll(error: unknown): void;
  /** Local subscribers per topic key, or in total. */
  subscriberCount(key?: string): number;
}

interface Channel {
  readonly listener: (message: string) => void;
  readonly queues: Set<EventQueue<RawEvent>>;
  readonly ready: Promise<void>;
}

/**
 * At-most-once mode: Redis `PUBLISH`/`SUBSCRIBE` on one subscriber connection per process, one
 * Redis subscription per topic however many local subscribers it has. Nothing is stored, so an
 * event published while a subscriber is away is lost; the id travels in the message so every
 * instance reports the same one.
 */
export function channelsDriver(options: ChannelsDriverOptions): ChannelsDriver {
  const { command, subscriber, keyOf } = options;
  const channels = new Map<string, Channel>();
  const instance = globalThis.crypto.randomUUID().slice(0, 8);
  let sequence = 0;

  function join(name: string, queue: EventQueue<RawEvent>): Channel {
    let channel = channels.get(name);
    if (!channel) {
      const queues = new Set<EventQueue<RawEvent>>();
      const listener = (envelope: string): void => {
        const newline = envelope.indexOf('\n');
        if (newline === -1) return;
        const event: RawEvent = { id: envelope.slice(0, newline), message: envelope.slice(newline + 1) };
        for (const each of queues) each.push(event);
      };
      const created: Channel = { listener, queues, ready: whenReady(subscriber).then(() => subscriber.subscribe(name, listener)) };
      // A failed SUBSCRIBE must not leave a dead entry for later subscribers to join.
      created.ready.catch(() => {
        if (channels.get(name) === created) channels.delete(name);
      });
      channel = created;
      channels.set(name, channel);
    }
    channel.queues.add(queue);
    return channel;
  }

  function leave(name: string, queue: EventQueue<RawEvent>): void {
    const channel = channels.get(name);
    if (!channel?.queues.delete(queue) || channel.queues.size > 0) return;
    channels.delete(name);
    // Unsubscribe after the subscribe settled, so the two are sent in order.
    channel.ready.then(() => subscriber.unsubscribe(name, channel.listener)).catch(() => {});
  }

  return {
    async publish(topic, message) {
      await whenReady(command);
      const id = `${instance}-${++sequence}`;
      await command.sendCommand(['PUBLISH', keyOf(topic), `${id}\n${message}`]);
      return id;
    },
    subscribe(topic, { signal, lastEventId, maxBuffered }) {
      const name = keyOf(topic);
      const events: EventQueue<RawEvent> = new EventQueue({ signal, maxBuffered, onClose: () => leave(name, events) });
      if (lastEventId !== undefined && options.resume === 'conflict') {
        const error = resumeConflict(topic, lastEventId, 'Redis pub/sub keeps no history (at-most-once); use mode "streams" to resume');
        events.fail(error);
        return { events, ready: Promise.reject(error) };
      }
      const ready = join(name, events).ready.catch((error: unknown) => {
        const failure = backendUnavailable('Redis', error);
        events.fail(failure);
        throw failure;
      });
      return { events, ready };
    },
    async close() {
      settleQueues(channels);
      channels.clear();
    },
    failAll(error) {
      settleQueues(channels, error);
    },
    subscriberCount: (key) => countQueues(channels, key),
  };
}

