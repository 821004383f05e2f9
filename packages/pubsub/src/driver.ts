import type { EventQueue } from './event-queue.js';

/** One event as a backend stores it: the id and the encoded payload (a JSON string). */
export interface RawEvent {
  readonly id: string;
  readonly message: string;
}

/** What a backend driver returns from `subscribe`: a queue of raw events plus its readiness. */
export interface RawSubscription {
  readonly events: EventQueue<RawEvent>;
  readonly ready: Promise<void>;
}

/** What `createPubSub` passes to a driver's `subscribe`. */
export interface DriverSubscribeOptions {
  signal: AbortSignal;
  lastEventId: string | undefined;
  /** Pass to the subscription's {@link EventQueue} (`maxBuffered`). */
  maxBuffered: number;
}

/**
 * The backend half of a {@link PubSub}: moves encoded strings, knows nothing of types or codecs.
 * Adapters implement it and wrap it with `createPubSub`; a custom backend can do the same.
 */
export interface PubSubDriver {
  /** Stores or broadcasts one encoded event, resolving with its id. */
  publish(topic: string, message: string): Promise<string>;
  /** Starts a backend subscription at once (not on the first `next()`), released when its queue closes. */
  subscribe(topic: string, options: DriverSubscribeOptions): RawSubscription;
  /** Ends every subscription and releases owned connections. */
  close(): Promise<void>;
}

/** Local queues per backend subscription (topic, channel or subject), as the fan-out drivers keep them. */
export type QueueGroups = ReadonlyMap<string, { readonly queues: ReadonlySet<EventQueue<RawEvent>> }>;

/** Local subscribers of one key, or of all keys. */
export function countQueues(groups: QueueGroups, key?: string): number {
  if (key !== undefined) return groups.get(key)?.queues.size ?? 0;
  let count = 0;
  for (const group of groups.values()) count += group.queues.size;
  return count;
}

/** Ends every queue, normally or (with `error`) as failed. The caller clears its map. */
export function settleQueues(groups: QueueGroups, error?: unknown): void {
  for (const group of groups.values()) for (const queue of group.queues) error === undefined ? queue.end() : queue.fail(error);
}
