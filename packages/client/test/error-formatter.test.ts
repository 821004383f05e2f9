import { type DuplexError, isDuplexError } from '@duplex/client';
import { createCaller, DuplexError as ServerError, type ErrorEvent, type ErrorFormatterOptions, initDuplex } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

interface Ctx {
  user: string | null;
  traceId: string;
}
interface Meta {
  auth?: boolean;
}

/** Field errors by dotted path, from a BAD_REQUEST's issues. */
function fieldsOf(error: { issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }> | undefined }) {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues ?? []) (fields[(issue.path ?? []).join('.')] ??= []).push(issue.message);
  return fields;
}

function makeRouter(mode: { formatter: 'fields' | 'throws' | 'bigint' | 'overreach' } = { formatter: 'fields' }) {
  const seen: Array<Omit<ErrorFormatterOptions<Ctx>, 'shape'>> = [];
  const d = initDuplex
    .context<Ctx>()
    .meta<Meta>()
    .create({
      errorFormatter: ({ shape, error, path, kind, ctx }) => {
        seen.push({ error, path, kind, ctx });
        if (mode.formatter === 'throws') throw new Error('formatter bug');
        if (mode.formatter === 'bigint') return { ...shape, data: { fields: {}, traceId: 1n as unknown as string } };
        if (mode.formatter === 'overreach') return { ...shape, code: 'NOT_FOUND' as const, retryable: false, stack: 'leaked', message: 'Something went wrong', data: { fields: {}, traceId: 'x' } };
        return { ...shape, data: { fields: fieldsOf(error), traceId: ctx?.traceId ?? 'none' } };
      },
    });
  const guarded = d.procedure.use(async ({ ctx, meta, next }) => {
    if (meta?.auth && !ctx.user) throw new ServerError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
    return next();
  });
  const router = d.router({
    post: d.router({
      add: guarded
        .meta({ auth: true })
        .input(z.object({ text: z.string().max(5), tags: z.array(z.string()).max(1) }))
        .mutation(({ input }) => input.text),
    }),
    open: guarded.input(z.object({ text: z.string().max(5) })).query(({ input }) => input.text),
    boom: d.procedure.query((): string => {
      throw new Error('secret at /srv/app/db.ts:42');
    }),
    busy: d.procedure.query((): string => {
      throw new ServerError({ code: 'SERVICE_UNAVAILABLE', message: 'busy', retryable: true });
    }),
    feed: d.procedure.subscription(async function* () {
      yield 1;
      throw new ServerError({ code: 'CONFLICT', message: 'cannot resume' });
    }),
  });
  return { router, seen };
}
type FormattedRouter = ReturnType<typeof makeRouter>['router'];

async function failure(promise: Promise<unknown>): Promise<DuplexError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDuplexError<FormattedRouter>(error)) throw new Error(`expected a DuplexError, got ${String(error)}`);
  return error;
}

const createContext = () => ({ user: null, traceId: 't-1' });

describe('errorFormatter over a real socket', () => {
  it('adds data the client reads as error.data, typed through isDuplexError', async () => {
    const { router, seen } = makeRouter();
    await using srv = await startServer(router, { createContext });
    const client = srv.client<FormattedRouter>();
    const error = await failure(client.open.query({ text: 'far too long' }));
    expect(error.code).toBe('BAD_REQUEST');
    if (!isDuplexError<FormattedRouter>(error)) throw new Error('unreachable');
    expect(error.data).toEqual({ fields: { text: [expect.stringContaining('5')] }, traceId: 't-1' });
    expect(seen[0]).toMatchObject({ path: 'open', kind: 'query', ctx: { traceId: 't-1' } });
  });

  it('formats errors from middleware reading meta, nested paths, NOT_FOUND and subscriptions', async () => {
    const { router, seen } = makeRouter();
    await using srv = await startServer(router, { createContext });
    const client = srv.client<FormattedRouter>();
    const denied = await failure(client.post.add.mutate({ text: 'hi', tags: [] }));
    expect(denied).toMatchObject({ code: 'UNAUTHORIZED', message: 'Sign in first', data: { fields: {}, traceId: 't-1' } });
    expect(seen.at(-1)).toMatchObject({ path: 'post.add', kind: 'mutation' });

    const missing = await failure((client as unknown as { nope: { query(): Promise<unknown> } }).nope.query());
    expect(missing).toMatchObject({ code: 'NOT_FOUND', data: { traceId: 't-1' } });

    const ended = new Promise<DuplexError>((resolve) => client.feed.subscribe(undefined, { onError: resolve }));
    expect(await ended).toMatchObject({ code: 'CONFLICT', data: { fields: {}, traceId: 't-1' } });
    expect(seen.at(-1)).toMatchObject({ path: 'feed', kind: 'subscription' });
  });

  it('keeps unexpected errors masked: the formatter sees the cause, the client sees no message or stack', async () => {
    const { router, seen } = makeRouter();
    await using srv = await startServer(router, { createContext });
    const error = await failure(srv.client<FormattedRouter>().boom.query());
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', data: { traceId: 't-1' } });
    expect(error.stack ?? '').not.toContain('db.ts');
    expect(seen[0]?.error.cause).toMatchObject({ message: 'secret at /srv/app/db.ts:42' });
  });

  it('cannot change the code or retryable or add a stack; exposeErrors still sends the stack', async () => {
    const { router } = makeRouter({ formatter: 'overreach' });
    await using srv = await startServer(router, { createContext });
    const error = await failure(srv.client<FormattedRouter>().boom.query());
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong', data: { traceId: 'x' } });
    expect(error.stack ?? '').not.toContain('leaked');
    const busy = await failure(srv.client<FormattedRouter>().busy.query());
    expect(busy).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true, message: 'Something went wrong' });

    await using exposed = await startServer(makeRouter().router, { createContext, exposeErrors: true });
    const verbose = await failure(exposed.client<FormattedRouter>().boom.query());
    expect(verbose).toMatchObject({ message: 'secret at /srv/app/db.ts:42', data: { traceId: 't-1' } });
    expect(verbose.stack).toContain('error-formatter.test.ts');
  });

  it('falls back to the plain shape when the formatter throws or returns non-JSON data, and reports it', async () => {
    for (const formatter of ['throws', 'bigint'] as const) {
      const { router } = makeRouter({ formatter });
      const reported: ErrorEvent[] = [];
      await using srv = await startServer(router, { createContext, onError: (event) => reported.push(event) });
      const client = srv.client<FormattedRouter>();
      const error = await failure(client.open.query({ text: 'far too long' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.data).toBeUndefined();
      expect(error.issues?.[0]?.path).toEqual(['text']);
      expect(reported.map((event) => event.error.message)).toEqual(['Input validation failed', 'errorFormatter failed']);
      expect(await client.open.query({ text: 'ok' })).toBe('ok');
    }
  });

  it('gives createCaller the same codes as the socket (errors unformatted on the server)', async () => {
    const { router } = makeRouter();
    await using srv = await startServer(router, { createContext });
    const client = srv.client<FormattedRouter>();
    const caller = createCaller(router, createContext);
    const pairs: Array<[() => Promise<unknown>, () => Promise<unknown>]> = [
      [() => client.open.query({ text: 'far too long' }), () => caller.open.query({ text: 'far too long' })],
      [() => client.post.add.mutate({ text: 'hi', tags: [] }), () => caller.post.add.mutate({ text: 'hi', tags: [] })],
      [() => client.boom.query(), () => caller.boom.query()],
    ];
    for (const [overSocket, onServer] of pairs) {
      const [remote, local] = await Promise.all([failure(overSocket()), failure(onServer())]);
      expect(local.code).toBe(remote.code);
      expect(local.data).toBeUndefined();
    }
    expect(await client.open.query({ text: 'same' })).toBe(await caller.open.query({ text: 'same' }));
  });
});
