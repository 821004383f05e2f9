import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from 'nats';
import type { RawEvent } from '../driver.js';
import type { EventQueue } from '../event-queue.js';

/** One local subscriber of a subject, fed by the shared feed once it has caught up. */
export interface JetStreamSubscriber {
  readonly events: EventQueue<RawEvent>;
  /** Stream sequence of the last event pushed; later events must be greater. */
  delivered: number;
  /** Live events held while a resuming subscriber replays its backlog; `undefined` once live. */
  backlog: RawEvent[] | undefined;
}

const decoder = new TextDecoder();

/** Turns a JetStream message into the driver's raw event (id = stream sequence). */
export function rawEvent(message: JsMsg): RawEvent {
  return { id: String(message.seq), message: decoder.decode(message.data) };
}

/** Pushes `event` unless the subscriber already has it (sequences are ordered). */
export function pushAfter(subscriber: JetStreamSubscriber, event: RawEvent): void {
  const seq = Number(event.id);
  if (seq <= subscriber.delivered) return;
  subscriber.delivered = seq;
  subscriber.events.push(event);
}

/**
 * The live events of one subject for every local subscriber: one ordered consumer per subject per
 * process (not one per subscriber), started after the stream's last sequence when the first
 * subscriber arrives and deleted when the last one leaves.
 */
export class JetStreamFeed {
  readonly subscribers = new Set<JetStreamSubscriber>();
  /** Resolves once the consumer is consuming: later publishes reach every subscriber. */
  readonly ready: Promise<void>;
  #consumer: Consumer | undefined;
  #messages: ConsumerMessages | undefined;
  #stopped = false;

  constructor(options: {
    js: JetStreamClient;
    stream: string;
    subject: string;
    lastSeq: () => Promise<number>;
    onEnd: (error: unknown) => void;
  }) {
    this.ready = (async () => {
      const opt_start_seq = (await options.lastSeq()) + 1;
      const consumer = await options.js.consumers.get(options.stream, { filterSubjects: options.subject, opt_start_seq });
      this.#consumer = consumer;
      const messages = await consumer.consume();
      this.#messages = messages;
      if (this.#stopped) return this.stop();
      this.#pump(messages).then(
        () => options.onEnd(new Error('JetStream consumer ended')),
        (error: unknown) => options.onEnd(error),
      );
    })();
  }

  /** Stops consuming and deletes the server-side consumer (it would linger until its inactive threshold). */
  stop(): void {
    this.#stopped = true;
    this.#messages?.stop();
    this.#consumer?.delete().catch(() => {});
  }

  async #pump(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      const event = rawEvent(message);
      for (const subscriber of this.subscribers) {
        if (subscriber.backlog) subscriber.backlog.push(event);
        else pushAfter(subscriber, event);
      }
    }
    if (this.#stopped) throw new StoppedError();
  }
}

/** Marks the end of a feed that was stopped on purpose (not reported as an error). */
export class StoppedError extends Error {}
