import type { AnyProcedure, AnyRouter, InferRouterContext, ProcedureTypes, RouterRecord } from '@duplex/core';

/** Options of a server-side `query` or `mutate`. */
export interface CallerCallOptions {
  /** Aborting rejects the call with `CANCELLED` and aborts the handler's signal. */
  signal?: AbortSignal;
}

/** Options of a server-side `iterate`. */
export interface CallerIterateOptions {
  /** Ends the iteration (the loop finishes normally) and aborts the handler's signal. */
  signal?: AbortSignal;
  /** Resume after this event id: the handler receives it as `lastEventId`. */
  lastEventId?: string;
}

/** A query called on the server. */
export interface CallerQuery<TInput, TOutput> {
  query(input: TInput, options?: CallerCallOptions): Promise<TOutput>;
}

/** A mutation called on the server. */
export interface CallerMutation<TInput, TOutput> {
  mutate(input: TInput, options?: CallerCallOptions): Promise<TOutput>;
}

/** A subscription read on the server: the values, `tracked()` wrappers removed. */
export interface CallerSubscription<TInput, TData> {
  iterate(input: TInput, options?: CallerIterateOptions): AsyncIterable<TData>;
}

/** A query whose input may be left out. */
export interface OptionalInputCallerQuery<TInput, TOutput> {
  query(input?: TInput, options?: CallerCallOptions): Promise<TOutput>;
}

/** A mutation whose input may be left out. */
export interface OptionalInputCallerMutation<TInput, TOutput> {
  mutate(input?: TInput, options?: CallerCallOptions): Promise<TOutput>;
}

/** A subscription whose input may be left out. */
export interface OptionalInputCallerSubscription<TInput, TData> {
  iterate(input?: TInput, options?: CallerIterateOptions): AsyncIterable<TData>;
}

type CallerOf<TTypes extends ProcedureTypes> = TTypes['kind'] extends 'query'
  ? undefined extends TTypes['input']
    ? OptionalInputCallerQuery<TTypes['input'], TTypes['output']>
    : CallerQuery<TTypes['input'], TTypes['output']>
  : TTypes['kind'] extends 'mutation'
    ? undefined extends TTypes['input']
      ? OptionalInputCallerMutation<TTypes['input'], TTypes['output']>
      : CallerMutation<TTypes['input'], TTypes['output']>
    : undefined extends TTypes['input']
      ? OptionalInputCallerSubscription<TTypes['input'], TTypes['output']>
      : CallerSubscription<TTypes['input'], TTypes['output']>;

/** Maps a router record to nested caller objects, shaped like the client's. */
export type CallerRecord<TRecord extends RouterRecord> = {
  [TKey in keyof TRecord]: TRecord[TKey] extends AnyProcedure
    ? CallerOf<TRecord[TKey]['~types']>
    : TRecord[TKey] extends AnyRouter
      ? CallerRecord<TRecord[TKey]['~types']['record']>
      : never;
};

/** What {@link createCaller} returns: `caller.<path>.query / mutate / iterate`. */
export type DuplexCaller<TRouter extends AnyRouter> = CallerRecord<TRouter['~types']['record']>;

/** The context of a caller: the value itself, or a function (sync or async) called for every call. */
export type CallerContext<TRouter extends AnyRouter> =
  | InferRouterContext<TRouter>
  | (() => InferRouterContext<TRouter> | Promise<InferRouterContext<TRouter>>);
