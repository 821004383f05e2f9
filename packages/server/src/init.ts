import {
  type AnyErrorFormatter,
  type AnyRouter,
  type ErrorFormatter,
  type ErrorShape,
  flattenRouterRecord,
  type MiddlewareFunction,
  type Router,
  type ReservedKeyGuard,
  type RouterRecord,
} from '@duplex/core';
import { createProcedureBuilder, type NoInput, type ProcedureBuilder } from './procedure-builder.js';

/** What `initDuplex…create()` returns: the building blocks of one API. */
export interface DuplexInstance<TContext, TMeta = object, TErrorData = undefined> {
  /** The base procedure builder. */
  procedure: ProcedureBuilder<TContext, TContext, NoInput, TMeta>;
  /**
   * Groups procedures and nested routers. Keys the client uses for itself (`then`, `state`, `on`,
   * `close`, `reauthenticate`) are refused: a compile error and a runtime error naming the key.
   */
  router<TRecord extends RouterRecord & ReservedKeyGuard>(record: TRecord): Router<TContext, TRecord, TErrorData>;
  /** Declares a reusable middleware with its context (and `meta`) typed. */
  middleware<TContextOverride extends object>(
    fn: MiddlewareFunction<TContext, TContextOverride, TMeta>,
  ): MiddlewareFunction<TContext, TContextOverride, TMeta>;
}

/** The shape an instance sends without an `errorFormatter`: no `data`. */
export interface DefaultErrorShape extends ErrorShape {
  data?: undefined;
}

/** Options of `initDuplex…create()`. */
export interface CreateOptions<TContext, TShape extends ErrorShape> {
  /** Shapes every error sent to clients, e.g. to add `data` they read typed. @default none (the shape is sent as is) */
  errorFormatter?: ErrorFormatter<TContext, TShape>;
}

function createInstance<TContext, TMeta, TErrorData>(options: CreateOptions<TContext, ErrorShape> = {}): DuplexInstance<TContext, TMeta, TErrorData> {
  const errorFormatter = options.errorFormatter as AnyErrorFormatter | undefined;
  return {
    procedure: createProcedureBuilder<TContext, TMeta>(),
    router: <TRecord extends RouterRecord & ReservedKeyGuard>(record: TRecord) =>
      ({ '~def': { procedures: flattenRouterRecord(record), errorFormatter } }) as unknown as Router<TContext, TRecord, TErrorData>,
    middleware: (fn) => fn,
  };
}

/** A step of `initDuplex`: declare the context and the meta type (in either order), then `create()`. */
export interface DuplexInit<TContext extends object, TMeta extends object> {
  /** Declares the context type every handler receives (what `createContext` returns). */
  context<TNewContext extends object>(): DuplexInit<TNewContext, TMeta>;
  /** Declares the type of `.meta()` on procedures, which middlewares read as `meta`. */
  meta<TNewMeta extends object>(): DuplexInit<TContext, TNewMeta>;
  /** Creates the instance; an `errorFormatter`'s `data` type becomes the router's (see `InferErrorData`). */
  create<TShape extends ErrorShape = DefaultErrorShape>(options?: CreateOptions<TContext, TShape>): DuplexInstance<TContext, TMeta, TShape['data']>;
}

// The type parameters exist only in the types: one untyped object serves every step (typing it
// generically made TypeScript infer DuplexInit against itself, ~3,000 instantiations per program).
const init = { context: () => init, meta: () => init, create: (options?: CreateOptions<unknown, ErrorShape>) => createInstance(options) };

/**
 * Starts an API definition.
 * @example
 * const d = initDuplex.context<{ user: User | null }>().meta<{ auth?: boolean }>().create();
 * export const appRouter = d.router({ hello: d.procedure.meta({ auth: false }).query(() => 'hi') });
 */
export const initDuplex = init as unknown as DuplexInit<object, object>;

export type { AnyRouter };
