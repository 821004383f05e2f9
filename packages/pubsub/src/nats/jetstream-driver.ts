import { DuplexError } from '@duplex/core';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { backendUnavailable, resumeConflict } from '../conflict.js';
import type { PubSubDriver, RawEvent } from '../driver.js';
import { EventQueue } from '../event-queue.js';
import { JetStreamFeed, type JetStreamSubscriber, pushAfter, rawEvent, StoppedError } from './jetstream-feed.js';

/** Options of {@link jetStreamDriver}. */
export interface JetStreamDriverOptions {
  connection: Promise<NatsConnection>;
  /** Stream name, e.g. `DUPLEX`. */
  stream: string;
  /** Subject prefix the stream captures (`<prefix>.>`). */
  prefix: string;
  subjectOf: (topic: string) => string;
  /** `max_msgs_per_subject` when this driver creates the stream. */
  maxPerTopic: number;
}

/** The JetStream driver plus a local subscriber count. */
export interface JetStreamDriver extends PubSubDriver {
  subscriberCount(): number;
}

/**
 * Durable mode: every topic is a subject of one JetStream stream; the event id is the stream
 * sequence. Live events come from one shared ordered consumer per subject per process; a
 * subscriber resuming after `lastEventId` first replays through a temporary ordered consumer,
 * then joins the live feed, de-duplicating by sequence at the hand-over.
 */
export function jetStreamDriver(options: JetStreamDriverOptions): JetStreamDriver {
  const feeds = new Map<string, JetStreamFeed>();
  const encoder = new TextEncoder();
  let setup: Promise<{ js: JetStreamClient; jsm: JetStreamManager }> | undefined;

  function ensureStream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    setup ??= (async () => {
      const nc = await options.connection;
      const jsm = await nc.jetstreamManager();
      try {
        await jsm.streams.info(options.stream);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await jsm.streams.add({ name: options.stream, subjects: [`${options.prefix}.>`], max_msgs_per_subject: options.maxPerTopic });
      }
      return { js: nc.jetstream(), jsm };
    })();
    // A failed setup (server down, no JetStream) is retried by the next call.
    setup.catch(() => {
      setup = undefined;
    });
    return setup;
  }

  function join(js: JetStreamClient, jsm: JetStreamManager, subject: string, subscriber: JetStreamSubscriber): JetStreamFeed {
    let feed = feeds.get(subject);
    if (!feed) {
      const created: JetStreamFeed = new JetStreamFeed({
        js,
        stream: options.stream,
        subject,
        lastSeq: async () => (await jsm.streams.info(options.stream)).state.last_seq,
        onEnd: (error) => {
          if (error instanceof StoppedError) return;
          if (feeds.get(subject) === created) feeds.delete(subject);
          for (const each of created.subscribers) each.events.fail(backendUnavailable('NATS', error));
        },
      });
      // A feed that failed to start must not stay around for later subscribers to join.
      created.ready.catch(() => {
        if (feeds.get(subject) === created) feeds.delete(subject);
      });
      feed = created;
      feeds.set(subject, feed);
    }
    feed.subscribers.add(subscriber);
    return feed;
  }

  function leave(subject: string, subscriber: JetStreamSubscriber): void {
    const feed = feeds.get(subject);
    if (!feed?.subscribers.delete(subscriber) || feed.subscribers.size > 0) return;
    feeds.delete(subject);
    feed.stop();
  }

  /** Verifies `lastEventId` is a message of this subject still in the stream; returns its sequence. */
  async function resumeFrom(jsm: JetStreamManager, topic: string, subject: string, lastEventId: string): Promise<number> {
    const seq = Number(lastEventId);
    const stored = Number.isSafeInteger(seq) && seq > 0 ? await jsm.streams.getMessage(options.stream, { seq }).catch(notFoundAsUndefined) : undefined;
    if (stored?.subject !== subject) throw resumeConflict(topic, lastEventId, 'the JetStream stream no longer holds that sequence for this topic (limits) or never did');
    return seq;
  }

  /** Replays (from, stream end] through a temporary ordered consumer, then hands over to the feed. */
  async function catchUp(js: JetStreamClient, subject: string, subscriber: JetStreamSubscriber, maxBuffered: number): Promise<void> {
    const consumer = await js.consumers.get(options.stream, { filterSubjects: subject, opt_start_seq: subscriber.delivered + 1 });
    try {
      if ((await consumer.info()).num_pending > 0 && !subscriber.events.closed) {
        const messages = await consumer.consume({ max_messages: Math.min(256, maxBuffered) });
        void subscriber.events.whenClosed().then(() => messages.stop());
        for await (const message of messages) {
          pushAfter(subscriber, rawEvent(message));
          // pending is what the consumer still had to deliver when it sent this one: 0 = caught up.
          if (message.info.pending === 0 || subscriber.events.closed) break;
          if (subscriber.events.size >= Math.min(256, maxBuffered)) await subscriber.events.whenDrained();
        }
        messages.stop();
      }
    } finally {
      consumer.delete().catch(() => {});
    }
    const backlog = subscriber.backlog ?? [];
    subscriber.backlog = undefined;
    for (const event of backlog) pushAfter(subscriber, event);
  }

  return {
    async publish(topic, message) {
      const { js } = await ensureStream();
      const ack = await js.publish(options.subjectOf(topic), encoder.encode(message));
      return String(ack.seq);
    },
    subscribe(topic, { signal, lastEventId, maxBuffered }) {
      const subject = options.subjectOf(topic);
      const subscriber: JetStreamSubscriber = {
        events: new EventQueue<RawEvent>({ signal, maxBuffered, onClose: () => leave(subject, subscriber) }),
        delivered: 0,
        backlog: undefined,
      };
      const ready = (async () => {
        const { js, jsm } = await ensureStream();
        const from = lastEventId === undefined ? undefined : await resumeFrom(jsm, topic, subject, lastEventId);
        if (subscriber.events.closed) return;
        if (from !== undefined) {
          subscriber.delivered = from;
          subscriber.backlog = [];
        }
        // Join the live feed before replaying, so nothing published meanwhile falls between the two.
        await join(js, jsm, subject, subscriber).ready;
        if (from !== undefined) void catchUp(js, subject, subscriber, maxBuffered).catch((error: unknown) => subscriber.events.fail(backendUnavailable('NATS', error)));
      })().catch((error: unknown) => {
        const failure = error instanceof DuplexError ? error : backendUnavailable('NATS', error);
        subscriber.events.fail(failure);
        throw failure;
      });
      return { events: subscriber.events, ready };
    },
    async close() {
      for (const feed of [...feeds.values()]) for (const subscriber of feed.subscribers) subscriber.events.end();
    },
    subscriberCount: () => {
      let count = 0;
      for (const feed of feeds.values()) count += feed.subscribers.size;
      return count;
    },
  };
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '404' || code === 404 || (error instanceof Error && /not found/i.test(error.message));
}

function notFoundAsUndefined(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}
