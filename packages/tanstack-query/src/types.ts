import type { AnyProcedure, AnyRouter, DuplexError, ProcedureTypes, RouterRecord } from '@duplex/core';
import type {
  InfiniteData,
  InfiniteQueryObserverOptions,
  MutationObserverOptions,
  QueryFilters,
  QueryFunction,
  QueryObserverOptions,
} from '@tanstack/query-core';
import type { DuplexMutationKey, DuplexQueryKey, TaggedQueryKey } from './query-key.js';

/** TanStack query options a caller may add to `queryOptions()` (everything but the key and function). */
export type QueryOptionsIn<TOutput, TData> = Omit<QueryObserverOptions<TOutput, DuplexError, TData, TOutput, DuplexQueryKey>, 'queryKey' | 'queryFn'>;

/** What `queryOptions()` returns: pass it to `useQuery`, `fetchQuery`, `prefetchQuery`, … */
export interface QueryOptionsOut<TOutput, TData> extends QueryObserverOptions<TOutput, DuplexError, TData, TOutput, DuplexQueryKey> {
  queryKey: TaggedQueryKey<TOutput, DuplexError>;
  queryFn: QueryFunction<TOutput, DuplexQueryKey>;
}

/** TanStack infinite query options a caller adds; `getNextPageParam` and `initialPageParam` are required. */
export type InfiniteOptionsIn<TOutput, TData, TCursor> = Omit<
  InfiniteQueryObserverOptions<TOutput, DuplexError, TData, DuplexQueryKey, TCursor>,
  'queryKey' | 'queryFn'
>;

/** What `infiniteQueryOptions()` returns: pass it to `useInfiniteQuery` or `fetchInfiniteQuery`. */
export type InfiniteOptionsOut<TOutput, TData, TCursor> = InfiniteOptionsIn<TOutput, TData, TCursor> & {
  queryKey: TaggedQueryKey<InfiniteData<TOutput, TCursor>, DuplexError>;
  queryFn: QueryFunction<TOutput, DuplexQueryKey, TCursor>;
};

/** TanStack mutation options a caller may add to `mutationOptions()`. */
export type MutationOptionsIn<TInput, TOutput, TOnMutateResult> = Omit<
  MutationObserverOptions<TOutput, DuplexError, TInput, TOnMutateResult>,
  'mutationKey' | 'mutationFn'
>;

/** What `mutationOptions()` returns: pass it to `useMutation` or a `MutationObserver`. */
export type MutationOptionsOut<TInput, TOutput, TOnMutateResult> = MutationOptionsIn<TInput, TOutput, TOnMutateResult> & {
  mutationKey: DuplexMutationKey;
  mutationFn: (input: TInput) => Promise<TOutput>;
};

// Results wrap their generics in NoInfer: inline in `useQuery(...)`, TypeScript would otherwise infer
// them from the hook's parameter type (return-type inference) instead of the defaults.

/** Options of `subscriptionOptions()`, read by `useSubscription` from `@duplex/tanstack-query/react`. */
export interface SubscriptionOptionsIn<TData> {
  /** `false` holds the subscription (nothing is sent) until it turns `true`. @default true */
  enabled?: boolean;
  /** Each event with its `tracked()` id. */
  onData?: (data: TData, meta: { id: string | undefined }) => void;
  /** The subscription failed for good. */
  onError?: (error: DuplexError) => void;
}

/** A subscription, described for `useSubscription`: what to subscribe to and how to watch the connection. */
export interface SubscriptionOptionsOut<TData> extends SubscriptionOptionsIn<TData> {
  /** Identifies the subscription (path and input): the hook restarts when its hash changes. */
  queryKey: TaggedQueryKey<TData, DuplexError>;
  /** Starts the subscription; returns the function that ends it. */
  subscribe(handlers: {
    onData: (data: TData, meta: { id: string | undefined }) => void;
    onError: (error: DuplexError) => void;
    onComplete: () => void;
  }): () => void;
  /** The client's connection, when the source is a client (a server-side caller has none). */
  connection: ConnectionSource | undefined;
}

/** The part of a duplex client the hooks read to report the connection's state. */
export interface ConnectionSource {
  readonly state: 'connecting' | 'open' | 'reconnecting' | 'closed';
  on(event: 'state', listener: (state: 'connecting' | 'open' | 'reconnecting' | 'closed') => void): () => void;
}

/** Options of `streamedOptions()`: how events accumulate into query data. */
export type StreamedOptionsIn<TEvent, TData> = Omit<QueryObserverOptions<TData, DuplexError, TData, TData, DuplexQueryKey>, 'queryKey' | 'queryFn'> & {
  /**
   * What a refetch does: `'reset'` clears the data and subscribes again, `'append'` keeps it and
   * adds the new events, `'replace'` swaps in the new events once the stream ends.
   * @default 'reset'
   */
  refetchMode?: 'append' | 'reset' | 'replace';
} & ([TData] extends [TEvent[]] ? { reducer?: never; initialValue?: never } : { reducer: (acc: TData, event: TEvent) => TData; initialValue: TData });

/** Keys shared by every node of the utils tree (routers and procedures). */
export interface KeyUtils {
  /** The key of every cache entry under this path, for `invalidateQueries({ queryKey })`. */
  pathKey(): DuplexQueryKey;
  /** A filter of every query under this path, merged with `filters`. */
  pathFilter(filters?: Omit<QueryFilters<DuplexQueryKey>, 'queryKey'>): QueryFilters<DuplexQueryKey>;
}

/** The page parameter of a query whose input has a `cursor`, else `never`. */
export type CursorOf<TInput> = TInput extends { cursor?: infer TCursor } ? TCursor : never;

/** The input of an infinite query: the procedure's input without `cursor` (`never` when it has none). */
export type InfiniteInput<TInput> = [CursorOf<TInput>] extends [never] ? never : Omit<TInput, 'cursor'>;

/**
 * Query options and keys of a query procedure. The infinite-query methods take `never` unless the
 * input has a `cursor` (the page parameter); their types are only worked out when used.
 */
export interface QueryUtils<TInput, TOutput> extends KeyUtils {
  /** Options for `useQuery`/`fetchQuery`; the call is cancelled on the server when TanStack aborts it. */
  queryOptions<TData = TOutput>(input: TInput, options?: QueryOptionsIn<TOutput, TData>): QueryOptionsOut<TOutput, NoInfer<TData>>;
  /** The key of this query for `input`; left out, the exact key of an input-less call and a prefix of every input. */
  queryKey(input?: TInput): TaggedQueryKey<TOutput, DuplexError>;
  /** A filter of this query (one input, or every input), merged with `filters`. */
  queryFilter(input?: TInput, filters?: Omit<QueryFilters<DuplexQueryKey>, 'queryKey'>): QueryFilters<DuplexQueryKey>;
  /** Options for `useInfiniteQuery`; each page is a call with `cursor` set to the page parameter. */
  infiniteQueryOptions<TData = InfiniteData<TOutput, CursorOf<TInput>>>(
    input: InfiniteInput<TInput>,
    options: InfiniteOptionsIn<TOutput, TData, CursorOf<TInput>>,
  ): InfiniteOptionsOut<TOutput, NoInfer<TData>, CursorOf<TInput>>;
  /** The key of this infinite query for `input`. */
  infiniteQueryKey(input?: InfiniteInput<TInput>): TaggedQueryKey<InfiniteData<TOutput, CursorOf<TInput>>, DuplexError>;
}

/** {@link QueryUtils} of a query whose input may be left out. */
export interface OptionalInputQueryUtils<TInput, TOutput> extends Omit<QueryUtils<TInput, TOutput>, 'queryOptions'> {
  /** Options for `useQuery`/`fetchQuery`; the call is cancelled on the server when TanStack aborts it. */
  queryOptions<TData = TOutput>(input?: TInput, options?: QueryOptionsIn<TOutput, TData>): QueryOptionsOut<TOutput, NoInfer<TData>>;
}

/** Mutation options and key of a mutation procedure. */
export interface MutationUtils<TInput, TOutput> extends KeyUtils {
  /** Options for `useMutation`; `mutationFn` calls the procedure. */
  mutationOptions<TOnMutateResult = unknown>(
    options?: MutationOptionsIn<TInput, TOutput, TOnMutateResult>,
  ): MutationOptionsOut<TInput, TOutput, TOnMutateResult>;
  /** The key of this mutation, for `useIsMutating({ mutationKey })`. */
  mutationKey(): DuplexMutationKey;
}

/** Subscription options of a subscription procedure: for `useSubscription`, or streamed into a query. */
export interface SubscriptionUtils<TInput, TData> extends KeyUtils {
  /** Options for `useSubscription` from `@duplex/tanstack-query/react`. */
  subscriptionOptions(input: TInput, options?: SubscriptionOptionsIn<TData>): SubscriptionOptionsOut<TData>;
  /** Query options whose data is the subscription's events accumulated (an array unless `reducer` is given). */
  streamedOptions<TQueryData = TData[]>(input: TInput, options?: StreamedOptionsIn<TData, TQueryData>): QueryOptionsOut<NoInfer<TQueryData>, NoInfer<TQueryData>>;
}

/** {@link SubscriptionUtils} of a subscription whose input may be left out. */
export interface OptionalInputSubscriptionUtils<TInput, TData> extends KeyUtils {
  /** Options for `useSubscription` from `@duplex/tanstack-query/react`. */
  subscriptionOptions(input?: TInput, options?: SubscriptionOptionsIn<TData>): SubscriptionOptionsOut<TData>;
  /** Query options whose data is the subscription's events accumulated (an array unless `reducer` is given). */
  streamedOptions<TQueryData = TData[]>(input?: TInput, options?: StreamedOptionsIn<TData, TQueryData>): QueryOptionsOut<NoInfer<TQueryData>, NoInfer<TQueryData>>;
}

/** The utils of each procedure kind, keyed by kind so picking one is an indexed access. */
export interface ProcedureUtilsByKind<TInput, TOutput> {
  query: QueryUtils<TInput, TOutput>;
  mutation: MutationUtils<TInput, TOutput>;
  subscription: SubscriptionUtils<TInput, TOutput>;
}

/** {@link ProcedureUtilsByKind} for procedures whose input may be left out. */
export interface OptionalInputProcedureUtilsByKind<TInput, TOutput> {
  query: OptionalInputQueryUtils<TInput, TOutput>;
  mutation: MutationUtils<TInput, TOutput>;
  subscription: OptionalInputSubscriptionUtils<TInput, TOutput>;
}

type UtilsOf<TTypes extends ProcedureTypes> = (undefined extends TTypes['input']
  ? OptionalInputProcedureUtilsByKind<TTypes['input'], TTypes['output']>
  : ProcedureUtilsByKind<TTypes['input'], TTypes['output']>)[TTypes['kind']];

/** The utils of one procedure, by kind. */
export type DecorateProcedureUtils<TProcedure extends AnyProcedure> = UtilsOf<TProcedure['~types']>;

/** Maps a router record to nested utils, like the client maps it to nested calls. */
export type DecorateRouterUtils<TRecord extends RouterRecord> = KeyUtils & {
  [TKey in keyof TRecord]: TRecord[TKey] extends AnyProcedure
    ? DecorateProcedureUtils<TRecord[TKey]>
    : TRecord[TKey] extends AnyRouter
      ? DecorateRouterUtils<TRecord[TKey]['~types']['record']>
      : never;
};

/** The TanStack Query utils of a router: `utils.todo.list.queryOptions(input)` and friends. */
export type DuplexQueryUtils<TRouter extends AnyRouter> = DecorateRouterUtils<TRouter['~types']['record']>;
