import type { AnyProcedure, AnyRouter, RouterRecord } from '@duplex/core';
import type { ConnectionSource } from './types.js';

/** Per-call options the utils pass down: TanStack's abort signal. */
export interface SourceCallOptions {
  signal?: AbortSignal;
}

/** The calls of one procedure that the utils need, by kind (a duplex client has all of them). */
export interface SourceProcedures<TInput, TOutput> {
  query: { query(input: TInput, options?: SourceCallOptions): Promise<TOutput> };
  mutation: { mutate(input: TInput, options?: SourceCallOptions): Promise<TOutput> };
  subscription: { iterate(input: TInput, options?: SourceCallOptions): AsyncIterable<TOutput> };
}

/**
 * What `createQueryUtils` reads calls from: a duplex client, or a server-side caller of the same
 * router (`caller.todo.list.query(input)`), since only the shape matters.
 */
export type QuerySource<TRecord extends RouterRecord> = {
  [TKey in keyof TRecord]: TRecord[TKey] extends AnyProcedure
    ? SourceProcedures<TRecord[TKey]['~types']['input'], TRecord[TKey]['~types']['output']>[TRecord[TKey]['~types']['kind']]
    : TRecord[TKey] extends AnyRouter
      ? QuerySource<TRecord[TKey]['~types']['record']>
      : never;
};

/** A source that is a client also has its connection state (read by the React hooks). */
export function connectionOf(source: unknown): ConnectionSource | undefined {
  const candidate = source as Partial<ConnectionSource>;
  return typeof candidate.state === 'string' && typeof candidate.on === 'function' ? (candidate as ConnectionSource) : undefined;
}
