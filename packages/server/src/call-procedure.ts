import {
  type AnyProcedure,
  DuplexError,
  type MiddlewareResult,
  type NextFunction,
  type ProcedureKind,
  type StandardSchemaV1,
  type ValidationIssue,
} from '@duplex/core';

/** Hands out an AbortSignal on demand: most handlers never read theirs, and creating one is costly. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** Everything needed to run one procedure invocation. */
export interface CallProcedureOptions {
  procedure: AnyProcedure;
  path: string;
  ctx: unknown;
  input: unknown;
  /** An AbortSignal, or a source that creates one when a handler first reads `signal`. */
  signal: AbortSignal | SignalSource;
  lastEventId?: string | undefined;
}

function readSignal(source: AbortSignal | SignalSource): AbortSignal {
  return source instanceof AbortSignal ? source : source.signal;
}

/** What a handler receives; `signal` is created only if the handler reads it. */
class HandlerArgs {
  constructor(
    readonly input: unknown,
    readonly ctx: unknown,
    private readonly source: AbortSignal | SignalSource,
    readonly lastEventId: string | undefined,
  ) {}
  get signal(): AbortSignal {
    return readSignal(this.source);
  }
}

/** What a middleware receives; `signal` is created only if the middleware reads it. */
class MiddlewareArgs {
  constructor(
    readonly ctx: unknown,
    readonly path: string,
    readonly kind: ProcedureKind,
    readonly meta: unknown,
    readonly input: unknown,
    private readonly source: AbortSignal | SignalSource,
    readonly next: NextFunction,
  ) {}
  get signal(): AbortSignal {
    return readSignal(this.source);
  }
}

function toIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationIssue[] {
  return issues.map((issue) => {
    const { path, ...rest } = issue as StandardSchemaV1.Issue & Record<string, unknown>;
    const out: Record<string, unknown> = { ...rest, message: issue.message };
    // zod can echo the offending input back; the client already has it and it may be large.
    delete out.input;
    if (path) out.path = path.map((segment) => (typeof segment === 'object' ? segment.key : segment)).map(String);
    return out as unknown as ValidationIssue;
  });
}

/**
 * Validates `value` against `schema`; failure throws `code` with the schema issues. Synchronous
 * when the schema is (zod's usually are), so the hot path takes no extra promise hop.
 */
export function validate(
  schema: StandardSchemaV1 | undefined,
  value: unknown,
  code: 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR',
): unknown {
  if (!schema) return value;
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) return result.then((settled) => unwrap(settled, code));
  return unwrap(result, code);
}

function unwrap(result: StandardSchemaV1.Result<unknown>, code: 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR'): unknown {
  if (result.issues) {
    const message = code === 'BAD_REQUEST' ? 'Input validation failed' : 'Output validation failed';
    throw new DuplexError({ code, message, issues: code === 'BAD_REQUEST' ? toIssues(result.issues) : undefined, cause: result.issues });
  }
  return result.value;
}

/** Runs input validation and the handler: the end of every middleware chain. */
function runHandler(opts: CallProcedureOptions, ctx: unknown): unknown {
  const def = opts.procedure['~def'];
  const input = validate(def.inputSchema, opts.input, 'BAD_REQUEST');
  if (input instanceof Promise) return input.then((parsed) => def.handler(new HandlerArgs(parsed, ctx, opts.signal, opts.lastEventId)));
  return def.handler(new HandlerArgs(input, ctx, opts.signal, opts.lastEventId));
}

/**
 * Runs middlewares in order, then input validation, then the handler (auth middleware answers
 * before bad input is even looked at). Resolves with the handler's value: a result for calls,
 * an AsyncIterable for subscriptions.
 */
export async function callProcedure(opts: CallProcedureOptions): Promise<unknown> {
  const def = opts.procedure['~def'];
  const { middlewares } = def;
  let data: unknown;
  if (middlewares.length === 0) {
    data = await runHandler(opts, opts.ctx);
  } else {
    const run = async (index: number, ctx: unknown): Promise<MiddlewareResult<object>> => {
      try {
        const middleware = middlewares[index];
        if (!middleware) return { ok: true, data: await runHandler(opts, ctx) };
        const next = ((nextOpts?: { ctx: object }) =>
          run(index + 1, nextOpts?.ctx ? { ...(ctx as object), ...nextOpts.ctx } : ctx)) as NextFunction;
        const result = await middleware(new MiddlewareArgs(ctx, opts.path, def.kind, def.meta, opts.input, opts.signal, next));
        if (!result || typeof result !== 'object' || typeof result.ok !== 'boolean')
          throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'middleware must return the result of next()' });
        return result;
      } catch (error) {
        return { ok: false, error };
      }
    };
    const result = await run(0, opts.ctx);
    if (!result.ok) throw result.error;
    data = result.data;
  }
  if (def.kind !== 'subscription' && def.outputSchema) return validate(def.outputSchema, data, 'INTERNAL_SERVER_ERROR');
  return data;
}
