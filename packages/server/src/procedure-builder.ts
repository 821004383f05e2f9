import type {
  MiddlewareFunction,
  MutationOptions,
  Overwrite,
  Procedure,
  ProcedureDef,
  ProcedureKind,
  StandardSchemaV1,
  SubscriptionProcedureOptions,
  Tracked,
  UntrackedValue,
} from '@duplex/core';

/**
 * Input and output types of a schema, read once from its Standard Schema `types` so a builder
 * step computes them a single time and later steps only index into the result.
 */
export interface SchemaTypes {
  readonly input: unknown;
  readonly output: unknown;
}

/**
 * A zod 4 schema, seen through `_zod`, which carries its `input` and `output` types. `.input()` and
 * `.output()` read them there first: going through `'~standard'` makes TypeScript instantiate
 * zod's whole Standard Schema props, about 100 type instantiations per procedure more (measured by
 * `npm run bench:types`; docs/performance.md).
 */
export interface ZodLike {
  readonly _zod: SchemaTypes;
}

/** The `{ input, output }` types of any other Standard Schema (valibot, arktype, …). */
export type StandardTypes<TSchema extends StandardSchemaV1> = NonNullable<TSchema['~standard']['types']>;

/** What a builder without `.input()` validates: nothing, so the client may omit the argument. */
export interface NoInput {
  readonly input: undefined;
  readonly output: undefined;
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

/**
 * Builds a procedure step by step: `.input()`, `.output()`, `.use()`, then one of `.query()`,
 * `.mutation()` or `.subscription()`. Each step returns a new builder; builders are immutable.
 * Without `.output()` the result type is inferred from the handler; after it, see
 * {@link ProcedureBuilderWithOutput}.
 */
export interface ProcedureBuilder<TRootContext, TContext, TInput extends SchemaTypes, TMeta = object> {
  /** Validates the input with any Standard Schema (zod 4, valibot, …); bad input → `BAD_REQUEST`. */
  input<TSchema extends ZodLike>(schema: TSchema): ProcedureBuilder<TRootContext, TContext, TSchema['_zod'], TMeta>;
  input<TSchema extends StandardSchemaV1>(schema: TSchema): ProcedureBuilder<TRootContext, TContext, StandardTypes<TSchema>, TMeta>;
  /** Validates the result (each event, for subscriptions); a mismatch → `INTERNAL_SERVER_ERROR`. */
  output<TSchema extends ZodLike>(schema: TSchema): ProcedureBuilderWithOutput<TRootContext, TContext, TInput, TSchema['_zod'], TMeta>;
  output<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): ProcedureBuilderWithOutput<TRootContext, TContext, TInput, StandardTypes<TSchema>, TMeta>;
  /** Adds a middleware; what it passes to `next({ ctx })` is merged into the context. */
  use<TContextOverride extends object>(
    middleware: MiddlewareFunction<TContext, TContextOverride, TMeta>,
  ): ProcedureBuilder<TRootContext, Overwrite<TContext, TContextOverride>, TInput, TMeta>;
  /** Sets metadata that middlewares read as `meta`; a second call merges into the first (shallow). */
  meta(meta: TMeta): ProcedureBuilder<TRootContext, TContext, TInput, TMeta>;
  /**
   * A read: `client.path.query(input)`. A handler that returns an AsyncIterable (an async
   * generator) or a `ReadableStream` streams its items; the client gets an AsyncIterable.
   */
  query<TResult>(
    handler: (opts: HandlerOptions<TContext, TInput['output']>) => MaybePromise<TResult>,
  ): Procedure<'query', TRootContext, TInput['input'], TResult>;
  /** A write: `client.path.mutate(input)`; it runs exactly once per call unless `options.exactlyOnce` is false. */
  mutation<TResult>(
    handler: (opts: HandlerOptions<TContext, TInput['output']>) => MaybePromise<TResult>,
    options?: MutationOptions,
  ): Procedure<'mutation', TRootContext, TInput['input'], TResult>;
  /**
   * A stream: an async generator of events. (A separate signature from the one below because
   * inferring from a generator's own type is direct, while matching it against `AsyncIterable`
   * is structural and costs about 175 type instantiations per subscription.)
   */
  subscription<TYield>(
    handler: (opts: SubscriptionHandlerOptions<TContext, TInput['output']>) => AsyncGenerator<TYield, unknown, unknown>,
    options?: SubscriptionProcedureOptions,
  ): Procedure<'subscription', TRootContext, TInput['input'], UntrackedValue<TYield>>;
  /** A stream: a function returning an AsyncIterable (or a promise of one) of events. */
  subscription<TYield>(
    handler: (opts: SubscriptionHandlerOptions<TContext, TInput['output']>) => MaybePromise<AsyncIterable<TYield>>,
    options?: SubscriptionProcedureOptions,
  ): Procedure<'subscription', TRootContext, TInput['input'], UntrackedValue<TYield>>;
}

/**
 * A builder after `.output(schema)`: handlers must return (or yield) the schema's input type, and
 * the client sees its output type.
 */
export interface ProcedureBuilderWithOutput<TRootContext, TContext, TInput extends SchemaTypes, TOutput extends SchemaTypes, TMeta = object> {
  /** Validates the input with any Standard Schema; bad input → `BAD_REQUEST`. */
  input<TSchema extends ZodLike>(schema: TSchema): ProcedureBuilderWithOutput<TRootContext, TContext, TSchema['_zod'], TOutput, TMeta>;
  input<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): ProcedureBuilderWithOutput<TRootContext, TContext, StandardTypes<TSchema>, TOutput, TMeta>;
  /** Replaces the output schema. */
  output<TSchema extends ZodLike>(schema: TSchema): ProcedureBuilderWithOutput<TRootContext, TContext, TInput, TSchema['_zod'], TMeta>;
  output<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): ProcedureBuilderWithOutput<TRootContext, TContext, TInput, StandardTypes<TSchema>, TMeta>;
  /** Adds a middleware; what it passes to `next({ ctx })` is merged into the context. */
  use<TContextOverride extends object>(
    middleware: MiddlewareFunction<TContext, TContextOverride, TMeta>,
  ): ProcedureBuilderWithOutput<TRootContext, Overwrite<TContext, TContextOverride>, TInput, TOutput, TMeta>;
  /** Sets metadata that middlewares read as `meta`; a second call merges into the first (shallow). */
  meta(meta: TMeta): ProcedureBuilderWithOutput<TRootContext, TContext, TInput, TOutput, TMeta>;
  /** A read whose result is validated by the output schema. */
  query(
    handler: (opts: HandlerOptions<TContext, TInput['output']>) => MaybePromise<TOutput['input']>,
  ): Procedure<'query', TRootContext, TInput['input'], TOutput['output']>;
  /** A write whose result is validated by the output schema. */
  mutation(
    handler: (opts: HandlerOptions<TContext, TInput['output']>) => MaybePromise<TOutput['input']>,
    options?: MutationOptions,
  ): Procedure<'mutation', TRootContext, TInput['input'], TOutput['output']>;
  /** A stream whose events are validated by the output schema. */
  subscription(
    handler: (
      opts: SubscriptionHandlerOptions<TContext, TInput['output']>,
    ) => MaybePromise<AsyncIterable<TOutput['input'] | Tracked<TOutput['input']>>>,
    options?: SubscriptionProcedureOptions,
  ): Procedure<'subscription', TRootContext, TInput['input'], TOutput['output']>;
}

interface BuilderState {
  inputSchema: StandardSchemaV1 | undefined;
  outputSchema: StandardSchemaV1 | undefined;
  middlewares: ProcedureDef['middlewares'];
  meta: unknown;
}

/** Creates the root builder of an `initDuplex` instance. */
export function createProcedureBuilder<TContext, TMeta = object>(): ProcedureBuilder<TContext, TContext, NoInput, TMeta> {
  return makeBuilder({ inputSchema: undefined, outputSchema: undefined, middlewares: [], meta: undefined }) as never;
}

function makeBuilder(state: BuilderState) {
  const finish = (kind: ProcedureKind) => (handler: ProcedureDef['handler'], options?: MutationOptions & SubscriptionProcedureOptions) => {
    const def: ProcedureDef = { kind, ...state, handler };
    if (kind === 'mutation' && options?.exactlyOnce === false) def.exactlyOnce = false;
    if (kind === 'subscription' && options) def.subscription = checkSubscriptionOptions(options);
    return { '~def': def } as unknown as Procedure<ProcedureKind, unknown, unknown, unknown>;
  };
  return {
    input: (schema: StandardSchemaV1) => makeBuilder({ ...state, inputSchema: schema }),
    output: (schema: StandardSchemaV1) => makeBuilder({ ...state, outputSchema: schema }),
    use: (middleware: MiddlewareFunction<unknown, object>) =>
      makeBuilder({ ...state, middlewares: [...state.middlewares, middleware] }),
    meta: (meta: object) => makeBuilder({ ...state, meta: { ...(state.meta as object | undefined), ...meta } }),
    query: finish('query'),
    mutation: finish('mutation'),
    subscription: finish('subscription'),
  };
}

/** Refuses a slow-reader option that cannot work, when the router is built rather than on the first slow client. */
function checkSubscriptionOptions(options: SubscriptionProcedureOptions): SubscriptionProcedureOptions {
  const { slowReader, maxBuffered } = options;
  if (slowReader !== undefined && slowReader !== 'block' && slowReader !== 'dropOldest' && slowReader !== 'latest')
    throw new TypeError(`duplex: slowReader must be 'block', 'dropOldest' or 'latest', not ${JSON.stringify(slowReader)}`);
  if (maxBuffered !== undefined && !(Number.isInteger(maxBuffered) && maxBuffered >= 1))
    throw new TypeError(`duplex: maxBuffered must be a positive integer, not ${String(maxBuffered)}`);
  return { ...options };
}
