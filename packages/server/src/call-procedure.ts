import { type AnyProcedure, DuplexError, type MiddlewareResult, type StandardSchemaV1, type ValidationIssue } from '@duplex/core';

/** Everything needed to run one procedure invocation. */
export interface CallProcedureOptions {
  procedure: AnyProcedure;
  path: string;
  ctx: unknown;
  input: unknown;
  signal: AbortSignal;
  lastEventId?: string | undefined;
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

/** Validates `value` against `schema`; failure throws `code` with the schema issues. */
export async function validate(schema: StandardSchemaV1 | undefined, value: unknown, code: 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR') {
  if (!schema) return value;
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    const message = code === 'BAD_REQUEST' ? 'Input validation failed' : 'Output validation failed';
    throw new DuplexError({ code, message, issues: code === 'BAD_REQUEST' ? toIssues(result.issues) : undefined, cause: result.issues });
  }
  return result.value;
}

/**
 * Runs middlewares in order, then input validation, then the handler (auth middleware answers
 * before bad input is even looked at). Resolves with the handler's value: a result for calls,
 * an AsyncIterable for subscriptions.
 */
export async function callProcedure(opts: CallProcedureOptions): Promise<unknown> {
  const def = opts.procedure['~def'];
  const { middlewares } = def;
  const run = async (index: number, ctx: unknown): Promise<MiddlewareResult<object>> => {
    try {
      const middleware = middlewares[index];
      if (!middleware) {
        const input = await validate(def.inputSchema, opts.input, 'BAD_REQUEST');
        const data = await def.handler({ input, ctx, signal: opts.signal, lastEventId: opts.lastEventId });
        return { ok: true, data };
      }
      const next = (nextOpts?: { ctx: object }) =>
        run(index + 1, nextOpts?.ctx ? { ...(ctx as object), ...nextOpts.ctx } : ctx);
      const result = await middleware({ ctx, path: opts.path, kind: def.kind, input: opts.input, signal: opts.signal, next });
      if (!result || typeof result !== 'object' || typeof result.ok !== 'boolean')
        throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'middleware must return the result of next()' });
      return result;
    } catch (error) {
      return { ok: false, error };
    }
  };
  const result = await run(0, opts.ctx);
  if (!result.ok) throw result.error;
  if (def.kind !== 'subscription' && def.outputSchema) return validate(def.outputSchema, result.data, 'INTERNAL_SERVER_ERROR');
  return result.data;
}
