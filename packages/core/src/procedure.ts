import type { SubscriptionProcedureOptions } from './flow.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** The three kinds of procedure. */
export type ProcedureKind = 'query' | 'mutation' | 'subscription';

/** What a middleware receives. */
export interface MiddlewareOptions<TContext, TMeta = unknown> {
  ctx: TContext;
  path: string;
  kind: ProcedureKind;
  /** What the procedure set with `.meta()` (typed by `initDuplex.meta<TMeta>()`), if anything. */
  meta: TMeta | undefined;
  /** The raw (not yet validated) input. */
  input: unknown;
  signal: AbortSignal;
  next: NextFunction;
}

declare const overrideType: unique symbol;

/** What `next()` resolves to; a middleware returns it (possibly after inspecting it). */
export interface MiddlewareResult<TContextOverride> {
  readonly ok: boolean;
  readonly data?: unknown;
  readonly error?: unknown;
  /** Phantom: the context additions this result carries. */
  readonly [overrideType]?: TContextOverride;
}

/** Calls the rest of the chain, optionally with context additions that later steps see. */
export interface NextFunction {
  (): Promise<MiddlewareResult<object>>;
  <TContextOverride extends object>(opts: { ctx: TContextOverride }): Promise<MiddlewareResult<TContextOverride>>;
}

/** A middleware function; what it passes to `next({ ctx })` is merged into the context. */
export type MiddlewareFunction<TContext, TContextOverride extends object, TMeta = unknown> = (
  opts: MiddlewareOptions<TContext, TMeta>,
) => Promise<MiddlewareResult<TContextOverride>>;

/** `TBase` with the keys of `TOverride` replaced (how middleware narrows the context). */
export type Overwrite<TBase, TOverride> = TOverride extends object
  ? Omit<TBase, keyof TOverride> & TOverride extends infer TMerged
    ? { [K in keyof TMerged]: TMerged[K] }
    : never
  : TBase;

/** Runtime description of a procedure, kept on `'~def'` so autocomplete stays clean. */
export interface ProcedureDef {
  kind: ProcedureKind;
  inputSchema: StandardSchemaV1 | undefined;
  outputSchema: StandardSchemaV1 | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: middlewares of any context are chained at run time
  middlewares: ReadonlyArray<MiddlewareFunction<any, object, any>>;
  /** What `.meta()` set (middlewares read it), or undefined. */
  meta: unknown;
  handler: (opts: ProcedureHandlerOptions) => unknown;
  /** Subscriptions only: the slow-reader policy given to `.subscription(handler, options)`. */
  subscription?: SubscriptionProcedureOptions | undefined;
  /** Mutations: `false` opts out of the server's dedupe window (see {@link MutationOptions}). */
  exactlyOnce?: boolean | undefined;
}

/** Options of a mutation, the second argument of `.mutation(handler, options)`. */
export interface MutationOptions {
  /**
   * Run at most once per call across reconnects: the server remembers the result under the
   * client's session and sequence number (or the caller's idempotency key) and answers a re-sent
   * call from it. `false` keeps no result; a call re-sent after a lost link then fails with a
   * retryable `SERVICE_UNAVAILABLE` instead of running twice. See docs/reliability.md.
   * @default true
   */
  exactlyOnce?: boolean;
}

/** What a handler receives at run time (typed per builder in the server package). */
export interface ProcedureHandlerOptions {
  input: unknown;
  ctx: unknown;
  signal: AbortSignal;
  lastEventId?: string | undefined;
}

/** The phantom types of a procedure: what the client infers its methods from. */
export interface ProcedureTypes<TKind extends ProcedureKind = ProcedureKind, TContext = unknown, TInput = unknown, TOutput = unknown> {
  kind: TKind;
  ctx: TContext;
  input: TInput;
  output: TOutput;
}

/**
 * A procedure: its phantom `'~types'` drive client inference; `'~def'` is what the server runs.
 */
export interface Procedure<TKind extends ProcedureKind, TContext, TInput, TOutput> {
  readonly '~types': { kind: TKind; ctx: TContext; input: TInput; output: TOutput };
  readonly '~def': ProcedureDef;
}

/** Any procedure, whatever its types. */
// biome-ignore lint/suspicious/noExplicitAny: the widened form
export type AnyProcedure = Procedure<ProcedureKind, any, any, any>;
