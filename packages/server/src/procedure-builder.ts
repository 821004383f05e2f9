import type {
  MiddlewareFunction,
  Overwrite,
  Procedure,
  ProcedureDef,
  ProcedureKind,
  StandardSchemaV1,
  Tracked,
  UntrackedValue,
} from '@duplex/core';

declare const unsetMarker: unique symbol;
/** Marks "no `.output()` schema given" in builder types. */
export type UnsetMarker = typeof unsetMarker;

/** Input and output types of an `.output()` schema. */
export interface OutputTypes {
  in: unknown;
  out: unknown;
}

type MaybePromise<TValue> = TValue | Promise<TValue>;

/** What a query or mutation handler receives. */
export interface HandlerOptions<TContext, TInput> {
  input: TInput;
  ctx: TContext;
  /** Aborts when the client cancels, times out or disconnects, or the server closes. */
  signal: AbortSignal;
}

/** What a subscription handler receives. */
export interface SubscriptionHandlerOptions<TContext, TInput> extends HandlerOptions<TContext, TInput> {
  /** The id of the last `tracked()` event the client saw, when it resumes. */
  lastEventId: string | undefined;
}

type HandlerResult<TOutput> = TOutput extends OutputTypes ? TOutput['in'] : unknown;
type ResolvedOutput<TOutput, TResult> = TOutput extends OutputTypes ? TOutput['out'] : Awaited<TResult>;
type EventValue<TOutput> = TOutput extends OutputTypes ? TOutput['in'] | Tracked<TOutput['in']> : unknown;
type ResolvedEvent<TOutput, TYield> = TOutput extends OutputTypes ? TOutput['out'] : UntrackedValue<TYield>;

/**
 * Builds a procedure step by step: `.input()`, `.output()`, `.use()`, then one of `.query()`,
 * `.mutation()` or `.subscription()`. Each step returns a new builder; builders are immutable.
 */
export interface ProcedureBuilder<TRootContext, TContext, TInputIn, TInputOut, TOutput> {
  /** Validates the input with any Standard Schema (zod 4, valibot, …); bad input → `BAD_REQUEST`. */
  input<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): ProcedureBuilder<TRootContext, TContext, StandardSchemaV1.InferInput<TSchema>, StandardSchemaV1.InferOutput<TSchema>, TOutput>;
  /** Validates the result (each event, for subscriptions); a mismatch → `INTERNAL_SERVER_ERROR`. */
  output<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): ProcedureBuilder<
    TRootContext,
    TContext,
    TInputIn,
    TInputOut,
    { in: StandardSchemaV1.InferInput<TSchema>; out: StandardSchemaV1.InferOutput<TSchema> }
  >;
  /** Adds a middleware; what it passes to `next({ ctx })` is merged into the context. */
  use<TContextOverride extends object>(
    middleware: MiddlewareFunction<TContext, TContextOverride>,
  ): ProcedureBuilder<TRootContext, Overwrite<TContext, TContextOverride>, TInputIn, TInputOut, TOutput>;
  /** A read: `client.path.query(input)`. */
  query<TResult extends HandlerResult<TOutput>>(
    handler: (opts: HandlerOptions<TContext, TInputOut>) => MaybePromise<TResult>,
  ): Procedure<'query', TRootContext, TInputIn, ResolvedOutput<TOutput, TResult>>;
  /** A write: `client.path.mutate(input)`. */
  mutation<TResult extends HandlerResult<TOutput>>(
    handler: (opts: HandlerOptions<TContext, TInputOut>) => MaybePromise<TResult>,
  ): Procedure<'mutation', TRootContext, TInputIn, ResolvedOutput<TOutput, TResult>>;
  /** A stream: an async generator (or a function returning an AsyncIterable) of events. */
  subscription<TYield extends EventValue<TOutput>>(
    handler: (opts: SubscriptionHandlerOptions<TContext, TInputOut>) => MaybePromise<AsyncIterable<TYield>>,
  ): Procedure<'subscription', TRootContext, TInputIn, ResolvedEvent<TOutput, TYield>>;
}

interface BuilderState {
  inputSchema: StandardSchemaV1 | undefined;
  outputSchema: StandardSchemaV1 | undefined;
  middlewares: ProcedureDef['middlewares'];
}

/** Creates the root builder of an `initDuplex` instance. */
export function createProcedureBuilder<TContext>(): ProcedureBuilder<TContext, TContext, undefined, undefined, UnsetMarker> {
  return makeBuilder({ inputSchema: undefined, outputSchema: undefined, middlewares: [] }) as never;
}

function makeBuilder(state: BuilderState) {
  const finish = (kind: ProcedureKind) => (handler: ProcedureDef['handler']) => {
    const def: ProcedureDef = { kind, ...state, handler };
    return { '~def': def } as unknown as Procedure<ProcedureKind, unknown, unknown, unknown>;
  };
  return {
    input: (schema: StandardSchemaV1) => makeBuilder({ ...state, inputSchema: schema }),
    output: (schema: StandardSchemaV1) => makeBuilder({ ...state, outputSchema: schema }),
    use: (middleware: MiddlewareFunction<unknown, object>) =>
      makeBuilder({ ...state, middlewares: [...state.middlewares, middleware] }),
    query: finish('query'),
    mutation: finish('mutation'),
    subscription: finish('subscription'),
  };
}
