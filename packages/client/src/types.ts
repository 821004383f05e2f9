import type { AnyProcedure, AnyRouter, DuplexError, RouterRecord } from '@duplex/core';

/** Options of one query or mutation. */
export interface CallOptions {
  /** Aborting rejects the call with `CANCELLED` and aborts the handler's signal on the server. */
  signal?: AbortSignal;
  /** Deadline for this call; the server's handler is aborted at the same moment. @default client `timeoutMs` */
  timeoutMs?: number;
}

/** Metadata of one subscription event. */
export interface EventMeta {
  /** The id given to `tracked()` on the server, if any. */
  id: string | undefined;
}

/** Callbacks and options of `subscribe()`. */
export interface SubscribeOptions<TData> {
  onData?: (data: TData, meta: EventMeta) => void;
  /** The subscription failed for good (validation, handler error, `CONFLICT` on resume…). */
  onError?: (error: DuplexError) => void;
  /** The server ended the subscription, or the client was closed. */
  onComplete?: () => void;
  /** Ends the subscription like `unsubscribe()`. */
  signal?: AbortSignal;
}

/** Options of `iterate()`. */
export interface IterateOptions {
  /** Ends the iteration (the loop finishes normally) and the server's generator. */
  signal?: AbortSignal;
}

/** What `subscribe()` returns. */
export interface Subscription {
  /** Ends the subscription; the server's generator runs its `finally`. Idempotent. */
  unsubscribe(): void;
}

type Args<TInput, TOptions> = undefined extends TInput
  ? [input?: TInput, options?: TOptions]
  : [input: TInput, options?: TOptions];

/** The client side of a query. */
export interface QueryClient<TInput, TOutput> {
  query(...args: Args<TInput, CallOptions>): Promise<TOutput>;
}

/** The client side of a mutation. */
export interface MutationClient<TInput, TOutput> {
  mutate(...args: Args<TInput, CallOptions>): Promise<TOutput>;
}

/** The client side of a subscription. */
export interface SubscriptionClient<TInput, TData> {
  subscribe(...args: Args<TInput, SubscribeOptions<TData>>): Subscription;
  iterate(...args: Args<TInput, IterateOptions>): AsyncIterable<TData>;
}

/** Maps one procedure to its client methods by kind. */
export type DecorateProcedure<TProcedure extends AnyProcedure> = TProcedure['~types']['kind'] extends 'query'
  ? QueryClient<TProcedure['~types']['input'], TProcedure['~types']['output']>
  : TProcedure['~types']['kind'] extends 'mutation'
    ? MutationClient<TProcedure['~types']['input'], TProcedure['~types']['output']>
    : SubscriptionClient<TProcedure['~types']['input'], TProcedure['~types']['output']>;

/** Maps a router record to nested client objects. */
export type DecorateRecord<TRecord extends RouterRecord> = {
  [TKey in keyof TRecord]: TRecord[TKey] extends AnyRouter
    ? DecorateRecord<TRecord[TKey]['~types']['record']>
    : TRecord[TKey] extends AnyProcedure
      ? DecorateProcedure<TRecord[TKey]>
      : never;
};

/** Connection state of a client. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the socket closed last. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Events of `client.on(...)`. */
export interface ClientEvents {
  state: ClientState;
  close: CloseInfo;
}

/** Connection controls that sit beside the procedures on the client object. */
export interface ClientControls {
  /** Current connection state. */
  readonly state: ClientState;
  /** Listens to `'state'` or `'close'`; returns the function that stops listening. */
  on<TEvent extends keyof ClientEvents>(event: TEvent, listener: (value: ClientEvents[TEvent]) => void): () => void;
  /** Closes the socket for good; pending calls reject with `CANCELLED`, subscriptions complete. */
  close(): Promise<void>;
}

/** The typed client of a router. */
export type DuplexClient<TRouter extends AnyRouter> = DecorateRecord<TRouter['~types']['record']> & ClientControls;
