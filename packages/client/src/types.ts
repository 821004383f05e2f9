import type { AnyProcedure, AnyRouter, DuplexError, ProcedureTypes, RouterRecord, StreamedOutput } from '@duplex/core';

/** Options of one query or mutation. */
export interface CallOptions {
  /** Aborting rejects the call with `CANCELLED` and aborts the handler's signal on the server. */
  signal?: AbortSignal;
  /** Deadline for this call; the server's handler is aborted at the same moment. @default client `timeoutMs` */
  timeoutMs?: number;
  /**
   * Mutations: a key the application chose (for example one made when a form opens). Calls with
   * the same key on the same procedure run once within the server's dedupe window, even from
   * another connection or after a page reload; a repeat gets the first call's result.
   * @default undefined (the client's own session and sequence number still make re-sends safe)
   */
  idempotencyKey?: string;
  /**
   * Streamed results (protocol.md §7.2): items the server may send ahead of the loop that reads
   * them; a loop that stops reading stops the server's producer within this many items.
   * @default 16
   */
  window?: number;
}

/** Metadata of one subscription event. */
export interface EventMeta {
  /** The id given to `tracked()` on the server, if any. */
  id: string | undefined;
}

/** Callbacks and options of `subscribe()`. */
export interface SubscribeOptions<TData> {
  /**
   * Called with each event. Returning a promise holds the event's credit until it settles, so a
   * slow async handler slows the server's generator instead of piling events up (see `window`).
   */
  onData?: (data: TData, meta: EventMeta) => unknown;
  /** The subscription failed for good (validation, handler error, `CONFLICT` on resume…). */
  onError?: (error: DuplexError) => void;
  /** The server ended the subscription, or the client was closed. */
  onComplete?: () => void;
  /** Ends the subscription like `unsubscribe()`. */
  signal?: AbortSignal;
  /**
   * Events the server may send ahead of the ones `onData` has finished with (returned, or settled
   * the promise it returned); `Infinity` turns credit flow control off. @default client `subscriptionWindow`
   */
  window?: number;
}

/** Options of `iterate()`. */
export interface IterateOptions {
  /** Ends the iteration (the loop finishes normally) and the server's generator. */
  signal?: AbortSignal;
  /**
   * Events the server may send ahead of the loop: at most this many wait in the client's buffer,
   * and a loop that stops reading stops the server's generator within this many events.
   * `Infinity` turns credit flow control off. @default client `subscriptionWindow`
   */
  window?: number;
}

/** What `subscribe()` returns. */
export interface Subscription {
  /** Ends the subscription; the server's generator runs its `finally`. Idempotent. */
  unsubscribe(): void;
}

/** The client side of a query. */
export interface QueryClient<TInput, TOutput> {
  query(input: TInput, options?: CallOptions): Promise<TOutput>;
}

/** The client side of a mutation. */
export interface MutationClient<TInput, TOutput> {
  mutate(input: TInput, options?: CallOptions): Promise<TOutput>;
}

/** The client side of a subscription. */
export interface SubscriptionClient<TInput, TData> {
  subscribe(input: TInput, options?: SubscribeOptions<TData>): Subscription;
  iterate(input: TInput, options?: IterateOptions): AsyncIterable<TData>;
}

/** A query whose input may be left out (no `.input()`, or a schema that accepts `undefined`). */
export interface OptionalInputQueryClient<TInput, TOutput> {
  query(input?: TInput, options?: CallOptions): Promise<TOutput>;
}

/** A mutation whose input may be left out. */
export interface OptionalInputMutationClient<TInput, TOutput> {
  mutate(input?: TInput, options?: CallOptions): Promise<TOutput>;
}

/** A subscription whose input may be left out. */
export interface OptionalInputSubscriptionClient<TInput, TData> {
  subscribe(input?: TInput, options?: SubscribeOptions<TData>): Subscription;
  iterate(input?: TInput, options?: IterateOptions): AsyncIterable<TData>;
}

/**
 * The client side of each procedure kind, keyed by kind so picking one is a single indexed access
 * (plain parameters instead of a conditional rest tuple: about 70 instantiations less per call).
 */
export interface ProcedureClients<TInput, TOutput> {
  query: QueryClient<TInput, TOutput>;
  mutation: MutationClient<TInput, TOutput>;
  subscription: SubscriptionClient<TInput, TOutput>;
}

/** {@link ProcedureClients} for procedures whose input may be left out. */
export interface OptionalInputProcedureClients<TInput, TOutput> {
  query: OptionalInputQueryClient<TInput, TOutput>;
  mutation: OptionalInputMutationClient<TInput, TOutput>;
  subscription: OptionalInputSubscriptionClient<TInput, TOutput>;
}

/** Maps one procedure to its client methods by kind. */
export type DecorateProcedure<TProcedure extends AnyProcedure> = ClientOf<TProcedure['~types']>;

type ClientOf<T extends ProcedureTypes> = T['kind'] extends 'query'
  ? undefined extends T['input'] ? OptionalInputQueryClient<T['input'], StreamedOutput<T['output']>> : QueryClient<T['input'], StreamedOutput<T['output']>>
  : T['kind'] extends 'mutation'
    ? undefined extends T['input'] ? OptionalInputMutationClient<T['input'], StreamedOutput<T['output']>> : MutationClient<T['input'], StreamedOutput<T['output']>>
    : undefined extends T['input'] ? OptionalInputSubscriptionClient<T['input'], T['output']> : SubscriptionClient<T['input'], T['output']>;

/**
 * Maps a router record to nested client objects. Checking an entry against `AnyRouter` is a
 * comparison of type arguments; reading a procedure's `'~types'` by index needs no `infer`.
 */
export type DecorateRecord<TRecord extends RouterRecord> = {
  [TKey in keyof TRecord]: TRecord[TKey] extends AnyProcedure
    ? DecorateProcedure<TRecord[TKey]>
    : TRecord[TKey] extends AnyRouter
      ? DecorateRecord<TRecord[TKey]['~types']['record']>
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
  /**
   * Credential rotation: evaluates `connectionParams` again and sends them over the open
   * connection. The server runs `createContext` with them; calls made after this resolves use the
   * new context, and live subscriptions stay (each is checked again by its middleware and ends
   * with e.g. `FORBIDDEN` if the new identity lost access). Rejects with the server's error, the
   * old context staying in place.
   * @example
   * token = await refreshToken();
   * await client.reauthenticate();
   */
  reauthenticate(): Promise<void>;
}

/** The typed client of a router. */
export type DuplexClient<TRouter extends AnyRouter> = DecorateRecord<TRouter['~types']['record']> & ClientControls;
