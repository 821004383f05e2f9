import { DuplexError, superjsonCodec, type Tracked, tracked } from '@duplex/core';
import { backendUnavailable } from './conflict.js';
import type { PubSubDriver, RawEvent } from './driver.js';
import type { AnyEvents, PayloadCodec, PubSub, PubSubEvent, PubSubSubscription, SubscribeOptions, TopicOf } from './types.js';

/** Options shared by every adapter. */
export interface PubSubOptions {
  /**
   * Encodes payloads before `JSON.stringify`, so `Date`/`Map`/`Set`/`BigInt` survive the broker hop.
   * @default superjsonCodec
   */
  codec?: PayloadCodec | undefined;
  /**
   * Events buffered per subscriber that does not keep up; beyond it the subscription ends with a
   * retryable `SERVICE_UNAVAILABLE` (a durable adapter then resumes from the last id, losing nothing).
   * @default 10000
   */
  maxBuffered?: number | undefined;
}

/**
 * Wraps a backend driver into a typed {@link PubSub}: encodes payloads and decodes events.
 * Every adapter (`createMemoryPubSub`, `createRedisPubSub`, `createNatsPubSub`) is built with it.
 */
export function createPubSub<TEvents extends AnyEvents>(driver: PubSubDriver, options: PubSubOptions = {}): PubSub<TEvents> {
  const codec = options.codec ?? superjsonCodec;
  const maxBuffered = options.maxBuffered ?? 10_000;
  let closed = false;

  // Decoded once per raw event, however many local subscribers it fans out to: they share one
  // object, which also lets the server encode it once per turn for all their sockets.
  const decoded = new WeakMap<RawEvent, PubSubEvent<unknown>>();

  function decode<TData>(raw: RawEvent): PubSubEvent<TData> {
    const hit = decoded.get(raw);
    if (hit) return hit as PubSubEvent<TData>;
    try {
      const event: PubSubEvent<TData> = { id: raw.id, data: codec.decode(JSON.parse(raw.message)) as TData };
      decoded.set(raw, event);
      return event;
    } catch (cause) {
      throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: `pubsub: cannot decode event ${raw.id}`, cause });
    }
  }

  function subscribe<TTopic extends TopicOf<TEvents>>(topic: TTopic, opts: SubscribeOptions): PubSubSubscription<TEvents[TTopic]> {
    if (closed) throw new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'pubsub is closed' });
    const raw = driver.subscribe(topic, { signal: opts.signal, lastEventId: opts.lastEventId ?? undefined, maxBuffered });
    // A failed setup also fails the iterator; `ready` must not become an unhandled rejection.
    raw.ready.catch(() => {});
    return {
      ready: raw.ready,
      // A plain iterator over the queue rather than an async generator: one promise hop per event
      // less on the fan-out path.
      [Symbol.asyncIterator]: (): AsyncIterator<PubSubEvent<TEvents[TTopic]>, undefined> => ({
        next: () =>
          raw.events.next().then((result): IteratorResult<PubSubEvent<TEvents[TTopic]>, undefined> => {
            if (result.done) return { value: undefined, done: true };
            try {
              return { value: decode<TEvents[TTopic]>(result.value), done: false };
            } catch (error) {
              // A corrupt event ends the subscription: release the backend, then report it.
              void raw.events.return();
              throw error;
            }
          }),
        return: async () => {
          await raw.events.return();
          return { value: undefined, done: true };
        },
      }),
    };
  }

  return {
    async publish(topic, payload) {
      if (closed) throw new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'pubsub is closed' });
      // JSON.stringify(undefined) is undefined, not a string: plain-JSON `undefined` travels as null.
      const message = JSON.stringify(codec.encode(payload)) ?? 'null';
      try {
        return await driver.publish(topic, message);
      } catch (error) {
        throw error instanceof DuplexError ? error : backendUnavailable('pubsub backend', error);
      }
    },
    subscribe,
    subscribeTracked: (topic, opts) => trackedEvents(subscribe(topic, opts)),
    async close() {
      if (closed) return;
      closed = true;
      await driver.close();
    },
  };
}

/**
 * Maps events to `tracked(id, data)` values, so a duplex subscription forwards their ids to the
 * client and gets the last one back as `lastEventId` on resume.
 * @example const sub = pubsub.subscribe(topic, { signal }); await sub.ready; yield* trackedEvents(sub);
 */
export async function* trackedEvents<TData>(events: AsyncIterable<PubSubEvent<TData>>): AsyncGenerator<Tracked<TData>, void, undefined> {
  for await (const event of events) yield tracked(event.id, event.data);
}
