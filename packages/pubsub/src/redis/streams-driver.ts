import { DuplexError } from '@duplex/core';
import { backendUnavailable, resumeConflict } from '../conflict.js';
import type { PubSubDriver, RawEvent } from '../driver.js';
import { EventQueue } from '../event-queue.js';
import { type RedisConnection, whenReady } from './redis-connection.js';
import { entryMessage, isStreamId, type StreamEntryReply } from './stream-id.js';
import { pushAfter, type StreamReader, type StreamSubscriber } from './stream-reader.js';

const PAGE = 256;

/** Options of {@link streamsDriver}. */
export interface StreamsDriverOptions {
  command: RedisConnection;
  reader: StreamReader;
  keyOf: (topic: string) => string;
  maxLen: number;
}

/**
 * Durable mode: one Redis Stream per topic. Publish is `XADD` (trimmed with `MAXLEN ~`), the event
 * id is the stream id, and a subscriber resumes with `XRANGE` from `lastEventId` before joining the
 * process's shared blocking reader — on any instance, since the log lives in Redis.
 */
export function streamsDriver(options: StreamsDriverOptions): PubSubDriver {
  const { command, reader, keyOf } = options;

  async function start(topic: string, key: string, lastEventId: string | undefined): Promise<string> {
    await whenReady(command);
    if (lastEventId === undefined) {
      const tail = await command.sendCommand<StreamEntryReply[]>(['XREVRANGE', key, '+', '-', 'COUNT', '1']);
      return tail[0]?.[0] ?? '0-0';
    }
    const found = isStreamId(lastEventId) ? await command.sendCommand<StreamEntryReply[]>(['XRANGE', key, lastEventId, lastEventId]) : [];
    if (found.length === 0) throw resumeConflict(topic, lastEventId, 'the stream no longer holds that id (trimmed) or never did');
    return lastEventId;
  }

  async function catchUp(key: string, subscriber: StreamSubscriber, pageSize: number): Promise<void> {
    for (;;) {
      const page = await command.sendCommand<StreamEntryReply[]>(['XRANGE', key, `(${subscriber.delivered}`, '+', 'COUNT', String(pageSize)]);
      for (const entry of page) {
        const message = entryMessage(entry);
        if (message !== undefined) pushAfter(subscriber, { id: entry[0], message });
        else subscriber.delivered = entry[0];
      }
      if (page.length < pageSize || subscriber.events.closed) break;
      // Backpressure: do not page a long backlog into memory faster than the consumer pulls it.
      await subscriber.events.whenDrained();
    }
    const backlog = subscriber.backlog ?? [];
    subscriber.backlog = undefined;
    for (const event of backlog) pushAfter(subscriber, event);
  }

  return {
    async publish(topic, message) {
      await whenReady(command);
      return command.sendCommand<string>(['XADD', keyOf(topic), 'MAXLEN', '~', String(options.maxLen), '*', 'm', message]);
    },
    subscribe(topic, { signal, lastEventId, maxBuffered }) {
      const key = keyOf(topic);
      const subscriber: StreamSubscriber = {
        events: new EventQueue<RawEvent>({ signal, maxBuffered, onClose: () => reader.remove(key, subscriber) }),
        delivered: '0-0',
        backlog: [],
      };
      const ready = start(topic, key, lastEventId).then(
        (from) => {
          if (subscriber.events.closed) return;
          subscriber.delivered = from;
          reader.add(key, subscriber, from);
        },
        (error: unknown) => {
          throw toDuplexError(error);
        },
      );
      ready
        .then(() => (subscriber.events.closed ? undefined : catchUp(key, subscriber, Math.min(PAGE, maxBuffered))))
        .catch((error: unknown) => subscriber.events.fail(toDuplexError(error)));
      return { events: subscriber.events, ready };
    },
    async close() {
      reader.close();
    },
  };
}

function toDuplexError(error: unknown): DuplexError {
  return error instanceof DuplexError ? error : backendUnavailable('Redis', error);
}
