import { type AnyProcedure, type AnyRouter, type Procedure, type Router, tracked } from '@duplex/core';
import { LIVE_CHANNEL, LIVE_KEY, type LiveInvalidation, type LiveMessage } from '../live-message.js';

/** The part of a `@duplex/pubsub` instance live queries use; any `PubSub` with a `LiveMessage` topic fits. */
export interface LivePubSub {
  publish(topic: typeof LIVE_CHANNEL, payload: LiveMessage): Promise<string>;
  subscribe(topic: typeof LIVE_CHANNEL, options: { signal: AbortSignal; lastEventId?: string | null | undefined }): LiveSubscription;
}

/** What {@link LivePubSub.subscribe} returns: the channel's events, and when the subscription is live. */
export interface LiveSubscription extends AsyncIterable<{ readonly id: string; readonly data: LiveMessage }> {
  /** Resolves once every event published from then on is delivered. */
  readonly ready: Promise<void>;
}

/** Options of {@link createLiveQueries}. */
export interface LiveQueriesOptions {
  /** Carries invalidations between server processes and replays them on resume (memory, Redis, NATS). */
  pubsub: LivePubSub;
}

/** The subscription procedure `attach()` adds: one invalidation stream per client. */
export type LiveProcedure = Procedure<'subscription', unknown, undefined, LiveInvalidation>;

/** A router with the live-query stream added under `'~live'`. */
export type WithLiveQueries<TRouter extends AnyRouter> = Router<
  TRouter['~types']['ctx'],
  TRouter['~types']['record'] & { [LIVE_KEY]: LiveProcedure }
>;

/**
 * Topic names and, for each, the input fields its invalidations may be narrowed by (`undefined`
 * when a topic is never narrowed). The default takes any topic and any input.
 * @example { todos: { listId: number }; settings: undefined }
 */
export type LiveTopics = Record<string, unknown>;

/** Options of {@link LiveQueries.invalidate}. */
export interface LiveInvalidateOptions<TInput> {
  /**
   * Only the cached entries whose input has these values are invalidated (deep partial match:
   * `{ listId: 1 }` matches `{ listId: 1, done: false }`); entries of a call without input too.
   * Left out, every cached input of the topic's queries is invalidated.
   */
  input?: TInput extends object ? Partial<TInput> : TInput;
}

/** Declares live queries, publishes invalidations and adds the stream clients listen on. */
export interface LiveQueries<TTopics extends LiveTopics = LiveTopics> {
  /** Marks a query procedure as invalidated by `topics`; returns the same procedure. */
  query<TProcedure extends AnyProcedure>(topics: readonly (keyof TTopics & string)[], procedure: TProcedure): TProcedure;
  /**
   * Tells every client holding a query of these topics to refetch it (only the entries of
   * `options.input` when given); resolves once the pub/sub accepted it.
   */
  invalidate<TTopic extends keyof TTopics & string>(topics: TTopic | readonly TTopic[], options?: LiveInvalidateOptions<TTopics[TTopic]>): Promise<void>;
  /** Returns the router with the invalidation stream added (under `'~live'`), and learns its live queries' paths. */
  attach<TRouter extends AnyRouter>(router: TRouter): WithLiveQueries<TRouter>;
}

/**
 * Live queries over `@duplex/pubsub`: a query declares topics, a mutation invalidates them, and
 * every client's cached result of those queries is refetched, across processes and reconnects.
 * @example
 * const live = createLiveQueries({ pubsub });
 * const router = live.attach(d.router({
 *   list: live.query(['todos'], d.procedure.query(() => todos)),
 *   add: d.procedure.input(schema).mutation(async ({ input }) => { save(input); await live.invalidate('todos'); }),
 * }));
 * // invalidations narrowed by input: only the entries of list 1 refetch
 * const live = createLiveQueries<{ todos: { listId: number } }>({ pubsub });
 * await live.invalidate('todos', { input: { listId: 1 } });
 */
export function createLiveQueries<TTopics extends LiveTopics = LiveTopics>(options: LiveQueriesOptions): LiveQueries<TTopics> {
  const declared = new WeakMap<AnyProcedure, readonly string[]>();
  const pathsByTopic = new Map<string, string[]>();

  const livePaths = new Set<string>();

  async function* stream({ signal, lastEventId }: { signal: AbortSignal; lastEventId?: string | undefined }) {
    const events = options.pubsub.subscribe(LIVE_CHANNEL, { signal, lastEventId });
    if (lastEventId === undefined) {
      // A fresh stream (first connect, a reconnect before any event, a restart after CONFLICT) sees
      // only what is published from now on, and the client may hold results read before now: once
      // the subscription is live, every live path is invalidated once, so an invalidation published
      // in between cannot be lost. Untracked: it is no resume point (a resumed stream replays instead).
      await events.ready;
      yield { topics: [], paths: [...livePaths], established: true } satisfies LiveInvalidation;
    }
    for await (const event of events) {
      const paths = new Set<string>();
      for (const topic of event.data.topics) for (const path of pathsByTopic.get(topic) ?? []) paths.add(path);
      const message: LiveInvalidation = { topics: event.data.topics, paths: [...paths] };
      if (event.data.input !== undefined) message.input = event.data.input;
      yield tracked(event.id, message);
    }
  }

  const procedure = {
    '~def': { kind: 'subscription', inputSchema: undefined, outputSchema: undefined, middlewares: [], handler: stream },
  } as unknown as LiveProcedure;

  return {
    query(topics, target) {
      declared.set(target, [...topics]);
      return target;
    },
    async invalidate(topics, invalidateOptions) {
      const message: LiveMessage = { topics: typeof topics === 'string' ? [topics] : [...topics] };
      if (invalidateOptions?.input !== undefined) message.input = invalidateOptions.input;
      await options.pubsub.publish(LIVE_CHANNEL, message);
    },
    attach(router) {
      const procedures = new Map(router['~def'].procedures);
      if (procedures.has(LIVE_KEY)) throw new Error(`router key "${LIVE_KEY}" is taken: live queries are attached there`);
      for (const [path, target] of procedures) {
        for (const topic of declared.get(target) ?? []) {
          pathsByTopic.set(topic, [...(pathsByTopic.get(topic) ?? []), path]);
          livePaths.add(path);
        }
      }
      procedures.set(LIVE_KEY, procedure);
      return { '~def': { procedures } } as unknown as WithLiveQueries<typeof router>;
    },
  };
}
