import type { DuplexClient } from '@duplex/client';
import type { AnyRouter } from '@duplex/core';
import { type QueryFilters, type QueryFunctionContext, experimental_streamedQuery as streamedQuery } from '@tanstack/query-core';
import { buildQueryKey, type DuplexQueryKey, type QueryType } from './query-key.js';
import { connectionOf, type QuerySource } from './query-source.js';
import type { DuplexQueryUtils, SubscriptionOptionsOut } from './types.js';

type Callable = (input: unknown, options?: unknown) => unknown;
type Node = Record<string, unknown>;
type Filters = Omit<QueryFilters<DuplexQueryKey>, 'queryKey'> | undefined;
type Options = Record<string, unknown> | undefined;

/** The procedure (or router) at `path` of a client or caller, walked lazily at call time. */
function nodeAt(source: unknown, path: readonly string[]): Node {
  let node = source as Node;
  for (const segment of path) node = node[segment] as Node;
  return node;
}

function method(node: Node, name: string): Callable {
  const fn = node[name];
  if (typeof fn !== 'function') throw new TypeError(`duplex: this source has no ${name}() here`);
  return fn as Callable;
}

/** Builds the utils of one path; `name` is the util method that was called. */
function callUtil(source: unknown, path: readonly string[], name: string, args: unknown[]): unknown {
  const [first, second] = args;
  const node = () => nodeAt(source, path);
  const key = (input: unknown, type: QueryType | undefined) => buildQueryKey(path, input, type);
  switch (name) {
    case 'pathKey':
      return [path];
    case 'pathFilter':
      return { ...(first as Filters), queryKey: [path] };
    // Without input the key is exact for an input-less query and a prefix of every input's entry.
    case 'queryKey':
      return key(first, 'query');
    case 'queryFilter':
      return { ...(second as Filters), queryKey: key(first, 'query') };
    case 'infiniteQueryKey':
      return key(first, 'infinite');
    case 'mutationKey':
      return [path];
    case 'queryOptions':
      return {
        ...(second as Options),
        queryKey: key(first, 'query'),
        queryFn: ({ signal }: QueryFunctionContext) => method(node(), 'query')(first, { signal }),
      };
    case 'infiniteQueryOptions':
      return {
        ...(second as Options),
        queryKey: key(first, 'infinite'),
        queryFn: ({ signal, pageParam }: QueryFunctionContext<DuplexQueryKey, unknown>) =>
          method(node(), 'query')({ ...(first as object), cursor: pageParam }, { signal }),
      };
    case 'mutationOptions':
      return { ...(first as Options), mutationKey: [path], mutationFn: (input: unknown) => method(node(), 'mutate')(input) };
    case 'subscriptionOptions':
      return subscriptionOptions(source, node(), key(first, 'stream'), first, second as Options);
    case 'streamedOptions': {
      const { refetchMode, reducer, initialValue, ...rest } = (second ?? {}) as Record<string, unknown>;
      // iterate() resumes from the last event id across reconnects, so the stream neither skips
      // nor repeats tracked events while the socket is replaced.
      const streamFn = ({ signal }: QueryFunctionContext) => method(node(), 'iterate')(first, { signal }) as AsyncIterable<unknown>;
      const mode = refetchMode as 'append' | 'reset' | 'replace' | undefined;
      const queryFn = reducer
        ? streamedQuery({ streamFn, refetchMode: mode, reducer: reducer as (acc: unknown, chunk: unknown) => unknown, initialValue })
        : streamedQuery({ streamFn, refetchMode: mode });
      return { ...rest, queryKey: key(first, 'stream'), queryFn };
    }
    default:
      throw new TypeError(`duplex: "${[...path, name].join('.')}" is not a query util`);
  }
}

function subscriptionOptions(source: unknown, node: Node, queryKey: DuplexQueryKey, input: unknown, options: Options): SubscriptionOptionsOut<unknown> {
  return {
    ...options,
    queryKey: queryKey as SubscriptionOptionsOut<unknown>['queryKey'],
    connection: connectionOf(source),
    subscribe: (handlers) => {
      const subscription = method(node, 'subscribe')(input, handlers) as { unsubscribe(): void };
      return () => subscription.unsubscribe();
    },
  };
}

function makeProxy(source: unknown, path: readonly string[]): unknown {
  return new Proxy(() => {}, {
    get(_target, key) {
      if (typeof key !== 'string' || key === 'then') return undefined;
      return makeProxy(source, [...path, key]);
    },
    apply(_target, _this, args: unknown[]) {
      if (path.length === 0) throw new TypeError('duplex: the query utils root is not callable');
      return callUtil(source, path.slice(0, -1), path[path.length - 1] as string, args);
    },
  });
}

/**
 * Creates TanStack Query options and keys for every procedure of a router, typed from the router.
 * A duplex client of `TRouter` is recognised by its type (`DuplexClient<TRouter>`, a type-only
 * import) without comparing every procedure, which would cost about 50 instantiations per
 * procedure (docs/tanstack-query.md, "Size and cost"); any other source is checked by shape.
 * Works with any TanStack adapter (React, Vue, Solid, Svelte), since they share query-core.
 * @example
 * const client = createClient<AppRouter>({ url });
 * const duplex = createQueryUtils<AppRouter>(client);
 * const todos = useQuery(duplex.todo.list.queryOptions({ done: false }));
 * const add = useMutation(duplex.todo.add.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(duplex.todo.pathFilter()) }));
 */
export function createQueryUtils<TRouter extends AnyRouter>(source: DuplexClient<TRouter> | QuerySource<TRouter['~types']['record']>): DuplexQueryUtils<TRouter> {
  return makeProxy(source, []) as DuplexQueryUtils<TRouter>;
}

