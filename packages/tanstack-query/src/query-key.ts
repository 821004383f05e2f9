import type { DataTag, QueryKey } from '@tanstack/query-core';

/** What kind of cache entry a key names: a plain query, an infinite query or a streamed subscription. */
export type QueryType = 'query' | 'infinite' | 'stream';

/**
 * The query key of a duplex procedure: its path as segments, then the input and the entry type.
 * A key of the path alone (`[['todo']]`) matches every entry under it (TanStack's partial matching).
 * @example [['todo', 'list'], { input: { done: false }, type: 'query' }]
 */
export type DuplexQueryKey = readonly [path: readonly string[], meta?: { input?: unknown; type?: QueryType }];

/** The mutation key of a duplex procedure: its path as segments. */
export type DuplexMutationKey = readonly [path: readonly string[]];

/** A query key that carries its data and error types, so `getQueryData(key)` is typed. */
export type TaggedQueryKey<TData, TError> = DataTag<DuplexQueryKey, TData, TError>;

/** Builds the key of one cache entry; `input` and `type` are left out when undefined so the key also works as a prefix. */
export function buildQueryKey(path: readonly string[], input: unknown, type: QueryType | undefined): DuplexQueryKey {
  if (input === undefined && type === undefined) return [path];
  const meta: { input?: unknown; type?: QueryType } = {};
  if (input !== undefined) meta.input = input;
  if (type !== undefined) meta.type = type;
  return [path, meta];
}

/** True when `key` is a duplex key under `path` (for filters written by hand). */
export function isDuplexQueryKey(key: QueryKey, path: readonly string[] = []): key is DuplexQueryKey {
  const head = key[0];
  return Array.isArray(head) && path.every((segment, index) => head[index] === segment);
}
