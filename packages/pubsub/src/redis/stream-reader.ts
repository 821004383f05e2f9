import { backendUnavailable } from '../conflict.js';
import type { RawEvent } from '../driver.js';
import type { EventQueue } from '../event-queue.js';
import type { RedisConnection } from './redis-connection.js';
import { compareStreamIds, entryMessage, type StreamEntryReply } from './stream-id.js';

/** One local subscriber of a stream, fed by the shared reader once it has caught up. */
export interface StreamSubscriber {
  readonly events: EventQueue<RawEvent>;
  /** Id of the last event pushed to `events`; later events must be strictly greater. */
  delivered: string;
  /** Live events held while the subscriber replays its backlog with XRANGE; `undefined` once live. */
  backlog: RawEvent[] | undefined;
}

interface ReadTopic {
  cursor: string;
  readonly subscribers: Set<StreamSubscriber>;
}

type XReadReply = Array<[string, StreamEntryReply[]]> | null;

const READ_COUNT = '256';

/**
 * One blocking `XREAD` connection per process, reading every stream that has local subscribers
 * and fanning entries out to them. When the set of streams changes, an entry appended to a private
 * wake stream (also part of the XREAD) ends the blocking read; unlike `CLIENT UNBLOCK` this cannot
 * be lost when it arrives before the XREAD does.
 */
export class StreamReader {
  readonly #topics = new Map<string, ReadTopic>();
  readonly #reader: RedisConnection;
  readonly #command: RedisConnection;
  readonly #wakeKey: string;
  #wakeCursor = '0-0';
  #idle: (() => void) | undefined;
  #reading = false;
  #closed = false;
  readonly #onError: (error: Error) => void;

  constructor(options: { reader: RedisConnection; command: RedisConnection; wakeKey: string; onError: (error: Error) => void }) {
    this.#reader = options.reader;
    this.#command = options.command;
    this.#wakeKey = options.wakeKey;
    this.#onError = options.onError;
  }

  /** Local subscribers per stream key, or in total. */
  subscriberCount(key?: string): number {
    if (key !== undefined) return this.#topics.get(key)?.subscribers.size ?? 0;
    let count = 0;
    for (const topic of this.#topics.values()) count += topic.subscribers.size;
    return count;
  }

  /** Starts the read loop; it idles (no blocking command) while nothing is subscribed. */
  start(): Promise<void> {
    return this.#run().catch((error: unknown) => this.#onError(error instanceof Error ? error : new Error(String(error))));
  }

  /** Adds a subscriber; a new stream is read from `start` (exclusive). */
  add(key: string, subscriber: StreamSubscriber, start: string): void {
    let topic = this.#topics.get(key);
    if (!topic) {
      topic = { cursor: start, subscribers: new Set() };
      this.#topics.set(key, topic);
      this.#wake();
    }
    topic.subscribers.add(subscriber);
  }

  /** Removes a subscriber; the last one of a stream takes the stream out of the blocking read. */
  remove(key: string, subscriber: StreamSubscriber): void {
    const topic = this.#topics.get(key);
    if (!topic?.subscribers.delete(subscriber)) return;
    if (topic.subscribers.size === 0) {
      this.#topics.delete(key);
      this.#wake();
    }
  }

  /** Stops the loop and ends every subscriber (the caller closes the connections). */
  close(): void {
    this.#closed = true;
    for (const topic of this.#topics.values()) for (const subscriber of topic.subscribers) subscriber.events.end();
    this.#topics.clear();
    this.#idle?.();
  }

  /** Ends every subscriber with `error`, e.g. when the reader lost its connection. */
  failAll(error: unknown): void {
    for (const topic of this.#topics.values()) for (const subscriber of topic.subscribers) subscriber.events.fail(error);
    this.#topics.clear();
  }

  #wake(): void {
    if (this.#closed) return;
    if (this.#idle) this.#idle();
    else if (this.#reading) {
      this.#command.sendCommand(['XADD', this.#wakeKey, 'MAXLEN', '1', '*', 'w', '1']).catch(this.#onError);
      // The wake stream is private to this process; let Redis drop it if the process dies.
      this.#command.sendCommand(['PEXPIRE', this.#wakeKey, '3600000']).catch(this.#onError);
    }
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (this.#topics.size === 0) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
        });
        this.#idle = undefined;
        continue;
      }
      const keys = [...this.#topics.keys()];
      const cursors = keys.map((key) => this.#topics.get(key)?.cursor ?? '$');
      let reply: XReadReply;
      this.#reading = true;
      try {
        reply = await this.#reader.sendCommand<XReadReply>([
          'XREAD', 'COUNT', READ_COUNT, 'BLOCK', '0', 'STREAMS', ...keys, this.#wakeKey, ...cursors, this.#wakeCursor,
        ]);
      } catch (error) {
        if (this.#closed) return;
        this.failAll(backendUnavailable('Redis', error));
        continue;
      } finally {
        this.#reading = false;
      }
      if (reply) this.#dispatch(reply);
    }
  }

  #dispatch(reply: NonNullable<XReadReply>): void {
    for (const [key, entries] of reply) {
      if (key === this.#wakeKey) {
        const last = entries[entries.length - 1];
        if (last) this.#wakeCursor = last[0];
        continue;
      }
      const topic = this.#topics.get(key);
      if (!topic) continue;
      for (const entry of entries) {
        topic.cursor = entry[0];
        const message = entryMessage(entry);
        if (message === undefined) continue;
        const event: RawEvent = { id: entry[0], message };
        for (const subscriber of topic.subscribers) deliverLive(subscriber, event);
      }
    }
  }
}

/** Pushes a live event unless the subscriber is still catching up or already has it. */
export function deliverLive(subscriber: StreamSubscriber, event: RawEvent): void {
  if (subscriber.backlog) subscriber.backlog.push(event);
  else pushAfter(subscriber, event);
}

/** Pushes `event` only when it is newer than what the subscriber already got (ids are ordered). */
export function pushAfter(subscriber: StreamSubscriber, event: RawEvent): void {
  if (compareStreamIds(event.id, subscriber.delivered) <= 0) return;
  subscriber.delivered = event.id;
  subscriber.events.push(event);
}
