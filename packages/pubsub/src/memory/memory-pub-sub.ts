import { resumeConflict } from '../conflict.js';
import { createPubSub, type PubSubOptions } from '../create-pub-sub.js';
import type { PubSubDriver, RawEvent } from '../driver.js';
import { EventQueue } from '../event-queue.js';
import type { AnyEvents, PubSub } from '../types.js';
import { ReplayLog } from './replay-log.js';

/** Options of {@link createMemoryPubSub}. */
export interface MemoryPubSubOptions extends PubSubOptions {
  /**
   * Events kept per topic so `lastEventId` can resume in-process; older ids end with `CONFLICT`.
   * `0` disables replay (every resume conflicts). Memory grows with topics × `replay`: every topic
   * ever published keeps its log for the life of the process.
   * @default 1000
   */
  replay?: number | undefined;
}

/** The memory adapter's {@link PubSub}, plus a live-subscriber count for tests and diagnostics. */
export interface MemoryPubSub<TEvents extends AnyEvents> extends PubSub<TEvents> {
  /** Live subscriptions on `topic`, or on every topic when omitted. */
  subscriberCount(topic?: string): number;
}

interface Topic {
  readonly log: ReplayLog;
  readonly listeners: Set<EventQueue<RawEvent>>;
}

/**
 * The in-process default: fan-out inside one server process, with a bounded replay log per topic.
 * Use a Redis or NATS adapter as soon as there is more than one process.
 * @example const pubsub = createMemoryPubSub<{ [room: `room:${string}`]: Post }>();
 */
export function createMemoryPubSub<TEvents extends AnyEvents>(options: MemoryPubSubOptions = {}): MemoryPubSub<TEvents> {
  const topics = new Map<string, Topic>();
  const pubsub = createPubSub<TEvents>(memoryDriver(topics, options.replay ?? 1000), options);
  return {
    ...pubsub,
    subscriberCount(topic) {
      if (topic !== undefined) return topics.get(topic)?.listeners.size ?? 0;
      let count = 0;
      for (const entry of topics.values()) count += entry.listeners.size;
      return count;
    },
  };
}

function memoryDriver(topics: Map<string, Topic>, replay: number): PubSubDriver {
  // Ids are unique per process lifetime, so an id from another process or an earlier run is unknown
  // (→ CONFLICT) rather than silently matching a different event.
  const instance = globalThis.crypto.randomUUID().slice(0, 8);
  let sequence = 0;

  function topicOf(name: string): Topic {
    let topic = topics.get(name);
    if (!topic) {
      topic = { log: new ReplayLog(replay), listeners: new Set() };
      topics.set(name, topic);
    }
    return topic;
  }

  return {
    async publish(name, message) {
      const event: RawEvent = { id: `${instance}-${++sequence}`, message };
      const topic = topicOf(name);
      topic.log.append(event);
      for (const listener of topic.listeners) listener.push(event);
      return event.id;
    },
    subscribe(name, { signal, lastEventId, maxBuffered }) {
      const topic = topicOf(name);
      const events: EventQueue<RawEvent> = new EventQueue({ signal, maxBuffered, onClose: () => topic.listeners.delete(events) });
      if (lastEventId !== undefined) {
        const missed = topic.log.after(lastEventId);
        if (!missed) {
          const error = resumeConflict(name, lastEventId, 'the id is older than the in-memory replay log or unknown');
          events.fail(error);
          return { events, ready: Promise.reject(error) };
        }
        for (const event of missed) events.push(event);
      }
      if (!events.closed) topic.listeners.add(events);
      return { events, ready: Promise.resolve() };
    },
    async close() {
      for (const topic of topics.values()) for (const listener of topic.listeners) listener.end();
      topics.clear();
    },
  };
}

