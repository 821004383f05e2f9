import type { Codec, Tracked } from '@duplex/core';

/** A map of topic name → payload type; template-literal keys (`` `room:${string}` ``) are fine. */
export type AnyEvents = Record<string, unknown>;

/** A topic name of an events map. */
export type TopicOf<TEvents extends AnyEvents> = keyof TEvents & string;

/**
 * One delivered event: its broker-assigned id and the decoded payload. Subscribers of one process
 * share the decoded object: treat it as read-only. It is never the publisher's object.
 */
export interface PubSubEvent<TData> {
  /** Id to pass back as `lastEventId` to resume after this event (stream id, sequence, …). */
  readonly id: string;
  readonly data: TData;
}

/** Options of {@link PubSub.subscribe}. */
export interface SubscribeOptions {
  /** Ends the backend subscription when aborted, even while no event is pending. */
  signal: AbortSignal;
  /**
   * Resume after this event id. Adapters that cannot replay from it (log trimmed, unknown id,
   * at-most-once backend) end the iterator with a `CONFLICT` `DuplexError` instead of skipping.
   */
  lastEventId?: string | null | undefined;
}

/**
 * What {@link PubSub.subscribe} returns: an async iterable of events (iterate it once) that also
 * says when it is live.
 */
export interface PubSubSubscription<TData> extends AsyncIterable<PubSubEvent<TData>> {
  /**
   * Resolves once the backend subscription is established: every event published after this is
   * delivered. Rejects like the iterator when setup fails; never needs to be awaited.
   */
  readonly ready: Promise<void>;
}

/** Turns a payload into a JSON-safe value and back; `superjsonCodec` from `@duplex/core` fits. */
export type PayloadCodec = Pick<Codec, 'encode' | 'decode'>;

/**
 * A typed publish/subscribe channel set, shared by every server process that uses the same backend.
 * @example
 * const pubsub = createMemoryPubSub<{ [room: `room:${string}`]: Post }>();
 * await pubsub.publish(`room:${id}`, post);
 * yield* pubsub.subscribeTracked(`room:${id}`, { signal, lastEventId });
 */
export interface PubSub<TEvents extends AnyEvents> {
  /** Publishes one event and resolves with its id once the backend accepted it. */
  publish<TTopic extends TopicOf<TEvents>>(topic: TTopic, payload: TEvents[TTopic]): Promise<string>;
  /** Events of `topic` from now (or after `lastEventId`) until `signal` aborts or the iterator is returned. */
  subscribe<TTopic extends TopicOf<TEvents>>(topic: TTopic, options: SubscribeOptions): PubSubSubscription<TEvents[TTopic]>;
  /**
   * {@link PubSub.subscribe} as `tracked(id, data)` values, for `yield*` inside a duplex subscription.
   * @example .subscription(async function* ({ input, signal, lastEventId }) { yield* pubsub.subscribeTracked(`room:${input.room}`, { signal, lastEventId }); })
   */
  subscribeTracked<TTopic extends TopicOf<TEvents>>(
    topic: TTopic,
    options: SubscribeOptions,
  ): AsyncGenerator<Tracked<TEvents[TTopic]>, void, undefined>;
  /** Ends every subscription and releases the backend connections this instance owns. */
  close(): Promise<void>;
}
