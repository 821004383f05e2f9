import {
  type AnyRouter,
  flattenRouterRecord,
  type MiddlewareFunction,
  type Router,
  type RouterRecord,
} from '@duplex/core';
import { createProcedureBuilder, type NoInput, type ProcedureBuilder } from './procedure-builder.js';

/** What `initDuplex…create()` returns: the building blocks of one API. */
export interface DuplexInstance<TContext, TMeta = object> {
  /** The base procedure builder. */
  procedure: ProcedureBuilder<TContext, TContext, NoInput, TMeta>;
  /** Groups procedures and nested routers. */
  router<TRecord extends RouterRecord>(record: TRecord): Router<TContext, TRecord>;
  /** Declares a reusable middleware with its context (and `meta`) typed. */
  middleware<TContextOverride extends object>(
    fn: MiddlewareFunction<TContext, TContextOverride, TMeta>,
  ): MiddlewareFunction<TContext, TContextOverride, TMeta>;
}

function createInstance<TContext, TMeta>(): DuplexInstance<TContext, TMeta> {
  return {
    procedure: createProcedureBuilder<TContext, TMeta>(),
    router: <TRecord extends RouterRecord>(record: TRecord) =>
      ({ '~def': { procedures: flattenRouterRecord(record) } }) as unknown as Router<TContext, TRecord>,
    middleware: (fn) => fn,
  };
}

/** A step of `initDuplex`: declare the context and the meta type (in either order), then `create()`. */
export interface DuplexInit<TContext extends object, TMeta extends object> {
  /** Declares the context type every handler receives (what `createContext` returns). */
  context<TNewContext extends object>(): DuplexInit<TNewContext, TMeta>;
  /** Declares the type of `.meta()` on procedures, which middlewares read as `meta`. */
  meta<TNewMeta extends object>(): DuplexInit<TContext, TNewMeta>;
  /** Creates the instance. */
  create(): DuplexInstance<TContext, TMeta>;
}

// The type parameters exist only in the types: one untyped object serves every step (typing it
// generically made TypeScript infer DuplexInit against itself, ~3,000 instantiations per program).
const init = { context: () => init, meta: () => init, create: () => createInstance() };

/**
 * Starts an API definition.
 * @example
 * const d = initDuplex.context<{ user: User | null }>().meta<{ auth?: boolean }>().create();
 * export const appRouter = d.router({ hello: d.procedure.meta({ auth: false }).query(() => 'hi') });
 */
export const initDuplex = init as unknown as DuplexInit<object, object>;

export type { AnyRouter };
