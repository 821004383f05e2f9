import { DuplexError } from '@duplex/core';
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { backendUnavailable, resumeConflict } from '../conflict.js';
import type { PubSubDriver, RawEvent } from '../driver.js';
import { EventQueue } from '../event-queue.js';

/** Buffered events per subscriber before the pump waits for the consumer to pull. */
const HIGH_WATER = 256;

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

interface Reader {
  readonly events: EventQueue<RawEvent>;
  consumer?: Consumer;
  messages?: ConsumerMessages;
}

/** The JetStream driver plus a local subscriber count. */
export interface JetStreamDriver extends PubSubDriver {
  subscriberCount(): number;
}

/**
 * Durable mode: every topic is a subject of one JetStream stream; the event id is the stream
 * sequence. Each subscriber reads through its own ordered consumer starting after `lastEventId`
 * (or after the stream's last sequence), deleted as soon as the subscriber goes.
 */
export function jetStreamDriver(options: JetStreamDriverOptions): JetStreamDriver {
  const readers = new Set<Reader>();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
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

  async function startSequence(jsm: JetStreamManager, topic: string, subject: string, lastEventId: string | undefined): Promise<number> {
    if (lastEventId === undefined) return (await jsm.streams.info(options.stream)).state.last_seq + 1;
    const seq = Number(lastEventId);
    const stored = Number.isSafeInteger(seq) && seq > 0 ? await jsm.streams.getMessage(options.stream, { seq }).catch(notFoundAsUndefined) : undefined;
    if (stored?.subject !== subject) throw resumeConflict(topic, lastEventId, 'the JetStream stream no longer holds that sequence for this topic (limits) or never did');
    return seq + 1;
  }

  async function pump(reader: Reader, messages: ConsumerMessages, highWater: number): Promise<void> {
    for await (const message of messages) {
      reader.events.push({ id: String(message.seq), message: decoder.decode(message.data) });
      if (reader.events.size >= highWater) await reader.events.whenDrained();
    }
  }

  function release(reader: Reader): void {
    readers.delete(reader);
    reader.messages?.stop();
    // Ordered consumers are ephemeral, but would linger for their inactive threshold; delete now.
    reader.consumer?.delete().catch(() => {});
  }

  return {
    async publish(topic, message) {
      const { js } = await ensureStream();
      const ack = await js.publish(options.subjectOf(topic), encoder.encode(message));
      return String(ack.seq);
    },
    subscribe(topic, { signal, lastEventId, maxBuffered }) {
      const subject = options.subjectOf(topic);
      const reader: Reader = { events: new EventQueue<RawEvent>({ signal, maxBuffered, onClose: () => release(reader) }) };
      readers.add(reader);
      const ready = (async () => {
        const { js, jsm } = await ensureStream();
        const opt_start_seq = await startSequence(jsm, topic, subject, lastEventId);
        if (reader.events.closed) return;
        const consumer = await js.consumers.get(options.stream, { filterSubjects: subject, opt_start_seq });
        reader.consumer = consumer;
        const messages = await consumer.consume();
        reader.messages = messages;
        if (reader.events.closed) return release(reader);
        pump(reader, messages, Math.min(HIGH_WATER, maxBuffered)).then(
          () => reader.events.fail(backendUnavailable('NATS', new Error('JetStream consumer ended'))),
          (error: unknown) => reader.events.fail(backendUnavailable('NATS', error)),
        );
      })().catch((error: unknown) => {
        const failure = error instanceof DuplexError ? error : backendUnavailable('NATS', error);
        reader.events.fail(failure);
        throw failure;
      });
      return { events: reader.events, ready };
    },
    async close() {
      for (const reader of readers) reader.events.end();
    },
    subscriberCount: () => readers.size,
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
