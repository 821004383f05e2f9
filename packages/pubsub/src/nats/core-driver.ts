import type { NatsConnection, Subscription } from 'nats';
import { backendUnavailable, resumeConflict } from '../conflict.js';
import { countQueues, type PubSubDriver, type RawEvent, settleQueues } from '../driver.js';
import { EventQueue } from '../event-queue.js';
import type { ResumePolicy } from '../resume-policy.js';

interface Interest {
  readonly subscription: Subscription;
  readonly queues: Set<EventQueue<RawEvent>>;
  readonly ready: Promise<void>;
}

/** The core-NATS driver plus what the adapter needs to surface a disconnect. */
export interface CoreDriver extends PubSubDriver {
  /** Ends every local subscription with `error`; their NATS subscriptions are released. */
  failAll(error: unknown): void;
  /** Local subscribers per subject, or in total. */
  subscriberCount(subject?: string): number;
}

/**
 * At-most-once mode: core NATS publish/subscribe, one NATS subscription per subject per process
 * with local fan-out. The id travels in the message (`<id>\n<payload>`), so every instance reports
 * the same one; nothing is stored, so nothing can be replayed.
 */
export function coreDriver(options: {
  connection: Promise<NatsConnection>;
  subjectOf: (topic: string) => string;
  resume: ResumePolicy;
}): CoreDriver {
  const interests = new Map<string, Interest>();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const instance = globalThis.crypto.randomUUID().slice(0, 8);
  let sequence = 0;

  function join(nc: NatsConnection, subject: string): Interest {
    let interest = interests.get(subject);
    if (interest) return interest;
    const queues = new Set<EventQueue<RawEvent>>();
    const subscription = nc.subscribe(subject, {
      callback: (error, message) => {
        if (error) {
          for (const queue of queues) queue.fail(backendUnavailable('NATS', error));
          return;
        }
        const envelope = decoder.decode(message.data);
        const newline = envelope.indexOf('\n');
        if (newline === -1) return;
        const event: RawEvent = { id: envelope.slice(0, newline), message: envelope.slice(newline + 1) };
        for (const queue of queues) queue.push(event);
      },
    });
    // flush() is a PING/PONG round trip: once it returns, the server has registered the SUB.
    interest = { subscription, queues, ready: nc.flush() };
    interests.set(subject, interest);
    return interest;
  }

  function leave(subject: string, queue: EventQueue<RawEvent>): void {
    const interest = interests.get(subject);
    if (!interest?.queues.delete(queue) || interest.queues.size > 0) return;
    interests.delete(subject);
    interest.subscription.unsubscribe();
  }

  return {
    async publish(topic, message) {
      const nc = await options.connection;
      const id = `${instance}-${++sequence}`;
      nc.publish(options.subjectOf(topic), encoder.encode(`${id}\n${message}`));
      return id;
    },
    subscribe(topic, { signal, lastEventId, maxBuffered }) {
      const subject = options.subjectOf(topic);
      const events: EventQueue<RawEvent> = new EventQueue({ signal, maxBuffered, onClose: () => leave(subject, events) });
      if (lastEventId !== undefined && options.resume === 'conflict') {
        const error = resumeConflict(topic, lastEventId, 'core NATS keeps no history (at-most-once); use JetStream to resume');
        events.fail(error);
        return { events, ready: Promise.reject(error) };
      }
      const ready = options.connection
        .then((nc) => {
          if (events.closed) return;
          const interest = join(nc, subject);
          interest.queues.add(events);
          return interest.ready;
        })
        .catch((error: unknown) => {
          const failure = backendUnavailable('NATS', error);
          events.fail(failure);
          throw failure;
        });
      return { events, ready };
    },
    async close() {
      settleQueues(interests);
      interests.clear();
    },
    failAll(error) {
      settleQueues(interests, error);
    },
    subscriberCount: (subject) => countQueues(interests, subject),
  };
}
