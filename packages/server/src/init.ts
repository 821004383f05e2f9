import {
  type AnyRouter,
  flattenRouterRecord,
  type MiddlewareFunction,
  type Router,
  type ReservedKeyGuard,
  type RouterRecord,
} from '@duplex/core';
import { createProcedureBuilder, type NoInput, type ProcedureBuilder } from './procedure-builder.js';

/** What `initDuplex…create()` returns: the building blocks of one API. */
export interface DuplexInstance<TContext> {
  /** The base procedure builder. */
  procedure: ProcedureBuilder<TContext, TContext, NoInput>;
  /**
   * Groups procedures and nested routers. Keys the client uses for itself (`then`, `state`, `on`,
   * `close`, `reauthenticate`) are refused: a compile error and a runtime error naming the key.
   */
  router<TRecord extends RouterRecord & ReservedKeyGuard>(record: TRecord): Router<TContext, TRecord>;
  /** Declares a reusable middleware with its context typed. */
  middleware<TContextOverride extends object>(
    fn: MiddlewareFunction<TContext, TContextOverride>,
  ): MiddlewareFunction<TContext, TContextOverride>;
}

function createInstance<TContext>(): DuplexInstance<TContext> {
  return {
    procedure: createProcedureBuilder<TContext>(),
    router: <TRecord extends RouterRecord & ReservedKeyGuard>(record: TRecord) =>
      ({ '~def': { procedures: flattenRouterRecord(record) } }) as unknown as Router<TContext, TRecord>,
    middleware: (fn) => fn,
  };
}

/**
 * Starts an API definition.
 * @example
 * const d = initDuplex.context<{ user: User | null }>().create();
 * export const appRouter = d.router({ hello: d.procedure.query(() => 'hi') });
 */
export const initDuplex = {
  /** Declares the context type every handler receives (what `createContext` returns). */
  context<TContext extends object>() {
    return { create: (): DuplexInstance<TContext> => createInstance<TContext>() };
  },
  /** An instance without context (`ctx` is `{}`). */
  create(): DuplexInstance<object> {
    return createInstance<object>();
  },
};

export type { AnyRouter };
