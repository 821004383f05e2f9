import type { AnyRouter } from '@duplex/core';
import { callProcedure } from '@duplex/server';
import type { QuerySource } from '../src/index.js';

/**
 * A server-side caller of the shape `createCaller(router, ctx)` has (`caller.todo.list.query(input)`),
 * made from `callProcedure` so these tests run before that lands: middleware, validation and
 * handlers run in-process, with no socket.
 */
export function standInCaller<TRouter extends AnyRouter>(router: TRouter, ctx: unknown): QuerySource<TRouter['~types']['record']> {
  const at = (path: string[]): unknown =>
    new Proxy(
      {},
      {
        get(_target, key) {
          if (typeof key !== 'string' || key === 'then') return undefined;
          if (key !== 'query' && key !== 'mutate') return at([...path, key]);
          const dotted = path.join('.');
          const procedure = router['~def'].procedures.get(dotted);
          if (!procedure) throw new TypeError(`no procedure ${dotted}`);
          return (input: unknown, options?: { signal?: AbortSignal }) =>
            callProcedure({ procedure, path: dotted, ctx, input, signal: options?.signal ?? new AbortController().signal });
        },
      },
    );
  return at([]) as QuerySource<TRouter['~types']['record']>;
}
