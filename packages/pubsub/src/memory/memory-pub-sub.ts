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
   * `0` disables replay (every resume conflicts). Memory is bounded by `maxTopics` × `replay` events.
   * @default 1000
   */
  replay?: number | undefined;
  /**
   * Topics kept with their replay log. Past it, the least recently published topic that has no
   * live subscriber is forgotten: a later resume from one of its ids ends with `CONFLICT`, as for
   * a trimmed log. Topics with live subscribers are never forgotten.
   * @default 10_000
   */
  maxTopics?: number | undefined;
}

/** The memory adapter's {@link PubSub}, plus a live-subscriber count for tests and diagnostics. */
export interface MemoryPubSub<TEvents extends AnyEvents> extends PubSub<TEvents> {
  /** Live subscriptions on `topic`, or on every topic when omitted. */
  subscriberCount(topic?: string): number;
  /** Topics held in memory (with a replay log or subscribers); at most about `maxTopics`. */
  topicCount(): number;
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
  const pubsub = createPubSub<TEvents>(memoryDriver(topics, options.replay ?? 1000, options.maxTopics ?? 10_000), options);
  return {
    ...pubsub,
    topicCount: () => topics.size,
    subscriberCount(topic) {
      if (topic !== undefined) return topics.get(topic)?.listeners.size ?? 0;
      let count = 0;
      for (const entry of topics.values()) count += entry.listeners.size;
      return count;
    },
  };
}

/**
 * `topics` is kept in least-recently-published order (a publish moves its topic to the end), so
 * forgetting the oldest idle topics is a walk from the start.
 */
function memoryDriver(topics: Map<string, Topic>, replay: number, maxTopics: number): PubSubDriver {
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

  /** Forgets the least recently published topics without subscribers while there are too many. */
  function forgetIdleTopics(): void {
    if (topics.size <= maxTopics) return;
    for (const [name, topic] of topics) {
      if (topics.size <= maxTopics) return;
      if (topic.listeners.size === 0) topics.delete(name);
    }
  }

  return {
    async publish(name, message) {
      const event: RawEvent = { id: `${instance}-${++sequence}`, message };
      const topic = topicOf(name);
      // Most recently published last.
      topics.delete(name);
      topics.set(name, topic);
      topic.log.append(event);
      for (const listener of topic.listeners) listener.push(event);
      forgetIdleTopics();
      return event.id;
    },
    subscribe(name, { signal, lastEventId, maxBuffered }) {
      // A resume is checked before a topic is created: a conflicting resume must not make a new,
      // empty topic push out a real one.
      const missed = lastEventId === undefined ? [] : topics.get(name)?.log.after(lastEventId);
      if (!missed) {
        const error = resumeConflict(name, lastEventId as string, 'the id is older than the in-memory replay log or unknown');
        const events = new EventQueue<RawEvent>({ signal, maxBuffered, onClose: () => {} });
        events.fail(error);
        return { events, ready: Promise.reject(error) };
      }
      const topic = topicOf(name);
      const events: EventQueue<RawEvent> = new EventQueue({
        signal,
        maxBuffered,
        onClose: () => {
          topic.listeners.delete(events);
          forgetIdleTopics();
        },
      });
      for (const event of missed) events.push(event);
      if (!events.closed) topic.listeners.add(events);
      forgetIdleTopics();
      return { events, ready: Promise.resolve() };
    },
    async close() {
      for (const topic of topics.values()) for (const listener of topic.listeners) listener.end();
      topics.clear();
    },
  };
}

