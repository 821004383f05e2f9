import { type AnyProcedure, type AnyRouter, DuplexError, isStreamSchema, isStreamSource, isTracked, type ProcedureKind } from '@duplex/core';
import type { CallerCallOptions, CallerContext, CallerIterateOptions, DuplexCaller } from './caller-types.js';
import { callProcedure, validate } from './call-procedure.js';
import { validatedStream } from './input-stream.js';

const METHODS: Readonly<Record<string, ProcedureKind>> = { query: 'query', mutate: 'mutation', iterate: 'subscription' };

/**
 * A typed server-side caller of a router, for tests and server rendering: each call runs the
 * procedure's middleware, input and output validation and handler exactly as a socket call does,
 * and fails with the same `DuplexError` codes. Values pass by reference (no codec), and errors
 * reach you unformatted (the `errorFormatter` shapes what goes to clients).
 * @param ctx the context value, or a function (sync or async) called for every call.
 * @example
 * const caller = createCaller(appRouter, { user: null });
 * const text = await caller.greet.query({ name: 'Ada' });
 * for await (const post of caller.onPost.iterate({ room: 'general' }, { signal })) render(post);
 */
export function createCaller<TRouter extends AnyRouter>(router: TRouter, ctx: CallerContext<TRouter>): DuplexCaller<TRouter> {
  const procedures = router['~def'].procedures;
  const context = (): unknown => (typeof ctx === 'function' ? (ctx as () => unknown)() : ctx);

  const invoke = (segments: readonly string[], args: readonly unknown[]): unknown => {
    const method = segments[segments.length - 1] as string;
    const kind = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    const path = segments.slice(0, -1).join('.');
    if (!kind) throw new TypeError(`duplex: "${segments.join('.')}" is not a procedure call (use .query, .mutate or .iterate)`);
    const [input, options] = args;
    const procedure = procedures.get(path);
    const found = procedure?.['~def'].kind === kind ? procedure : undefined;
    if (kind === 'subscription') return iterate(found, path, input, context, (options ?? {}) as CallerIterateOptions);
    return call(found, kind, path, input, context, (options ?? {}) as CallerCallOptions);
  };

  const makeProxy = (segments: readonly string[]): unknown =>
    new Proxy(() => {}, {
      get(_target, key) {
        // Not thenable: `await caller` (or returning it from an async function) must not hang.
        if (typeof key !== 'string' || key === 'then') return undefined;
        return makeProxy([...segments, key]);
      },
      apply(_target, _this, args: unknown[]) {
        if (segments.length < 2) throw new TypeError(`duplex: "${segments.join('.')}" is not callable`);
        return invoke(segments, args);
      },
    });
  return makeProxy([]) as DuplexCaller<TRouter>;
}

function notFound(kind: ProcedureKind, path: string): DuplexError {
  return new DuplexError({ code: 'NOT_FOUND', message: `no ${kind} at path "${path.slice(0, 200)}"` });
}

function cancelled(): DuplexError {
  return new DuplexError({ code: 'CANCELLED', message: 'cancelled by the caller' });
}

async function call(
  procedure: AnyProcedure | undefined,
  kind: ProcedureKind,
  path: string,
  input: unknown,
  context: () => unknown,
  { signal }: CallerCallOptions,
): Promise<unknown> {
  if (!procedure) throw notFound(kind, path);
  if (signal?.aborted) throw cancelled();
  const schema = procedure['~def'].inputSchema;
  if (isStreamSchema(schema) && isStreamSource(input)) input = validatedStream(input, schema['~item']);
  const controller = new AbortController();
  try {
    const run = Promise.resolve(context()).then((ctx) => {
      // Aborted while the context was being made: the handler never starts.
      if (controller.signal.aborted) throw controller.signal.reason;
      return callProcedure({ procedure, path, ctx, input, signal: controller.signal });
    });
    return await (signal ? untilAborted(run, signal, controller) : run);
  } catch (cause) {
    throw DuplexError.from(cause);
  }
}

/** Settles with `run`, or rejects with `CANCELLED` (and aborts the handler) as soon as `signal` aborts. */
function untilAborted<TValue>(run: Promise<TValue>, signal: AbortSignal, controller: AbortController): Promise<TValue> {
  return new Promise<TValue>((resolve, reject) => {
    const onAbort = () => {
      const error = cancelled();
      controller.abort(error);
      reject(error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    void run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function* iterate(
  procedure: AnyProcedure | undefined,
  path: string,
  input: unknown,
  context: () => unknown,
  { signal, lastEventId }: CallerIterateOptions,
): AsyncGenerator<unknown, void, undefined> {
  if (!procedure) throw notFound('subscription', path);
  if (signal?.aborted) return;
  const controller = new AbortController();
  const stop = () => controller.abort(cancelled());
  signal?.addEventListener('abort', stop, { once: true });
  let iterator: AsyncIterator<unknown> | undefined;
  try {
    const ctx = await context();
    const iterable = await callProcedure({ procedure, path, ctx, input, signal: controller.signal, lastEventId });
    if (!isAsyncIterable(iterable)) throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'subscription handler must return an AsyncIterable' });
    iterator = iterable[Symbol.asyncIterator]();
    const outputSchema = procedure['~def'].outputSchema;
    for (;;) {
      const step = await nextOrAbort(iterator, controller.signal);
      if (step === undefined || step.done) return;
      const value = isTracked(step.value) ? step.value.data : step.value;
      yield await validate(outputSchema, value, 'INTERNAL_SERVER_ERROR');
    }
  } catch (cause) {
    // After the caller's signal aborted, the loop ends normally (like the client's iterate).
    if (!controller.signal.aborted) throw DuplexError.from(cause);
  } finally {
    signal?.removeEventListener('abort', stop);
    // The reader is gone (break, return, abort or error): tell the handler, and let its generator
    // run its finally. Not awaited: a generator stuck in an await must not hold up the reader.
    if (!controller.signal.aborted) stop();
    iterator?.return?.().catch(() => {});
  }
}

/** The next step, or undefined as soon as `signal` aborts (the handler may not be listening). */
function nextOrAbort(iterator: AsyncIterator<unknown>, signal: AbortSignal): Promise<IteratorResult<unknown> | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    void iterator
      .next()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
