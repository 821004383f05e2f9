import { DuplexError, initDuplex, tracked } from '@duplex/server';
import { deferred, startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const d = initDuplex.context<{ user: string | null }>().create();
const authed = d.procedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  return next({ ctx: { user: ctx.user } });
});

const router = d.router({
  greet: d.procedure
    .input(z.object({ name: z.string().min(1) }))
    .output(z.string())
    .query(({ input }) => `Hello ${input.name}`),
  whoami: authed.query(({ ctx }) => ctx.user),
  rich: d.procedure.query(() => ({ at: new Date(0), tags: new Set(['a']), map: new Map([['k', 1n]]), nothing: undefined })),
  post: d.router({ add: d.procedure.input(z.object({ text: z.string().max(5) })).mutation(({ input }) => ({ ok: true, text: input.text })) }),
  count: d.procedure.input(z.object({ to: z.number() })).subscription(async function* ({ input, lastEventId }) {
    const from = lastEventId ? Number(lastEventId) + 1 : 0;
    for (let i = from; i < input.to; i++) yield tracked(String(i), i);
  }),
  boom: d.procedure.query(() => {
    throw new Error('secret database password in message');
  }),
});

describe('end to end over a real socket', () => {
  it('calls a query, a mutation and a subscription', async () => {
    await using srv = await startServer(router, { createContext: ({ connectionParams }) => ({ user: (connectionParams?.user as string) ?? null }) });
    const client = srv.client<typeof router>({ connectionParams: async () => ({ user: 'ada' }) });
    expect(await client.greet.query({ name: 'Ada' })).toBe('Hello Ada');
    expect(await client.whoami.query()).toBe('ada');
    expect(await client.post.add.mutate({ text: 'hi' })).toEqual({ ok: true, text: 'hi' });
    const rich = await client.rich.query();
    expect(rich.at).toBeInstanceOf(Date);
    expect(rich.tags).toEqual(new Set(['a']));
    expect(rich.map.get('k')).toBe(1n);
    expect('nothing' in rich).toBe(true);
    const seen: Array<[number, string | undefined]> = [];
    const done = deferred();
    client.count.subscribe({ to: 3 }, { onData: (n, { id }) => seen.push([n, id]), onComplete: () => done.resolve() });
    await done.promise;
    expect(seen).toEqual([[0, '0'], [1, '1'], [2, '2']]);
    const values: number[] = [];
    for await (const n of client.count.iterate({ to: 4 })) values.push(n);
    expect(values).toEqual([0, 1, 2, 3]);
  });

  it('reports validation errors and masks internal ones', async () => {
    const errors: string[] = [];
    await using srv = await startServer(router, { createContext: () => ({ user: null }), onError: ({ error, path }) => errors.push(`${path}:${error.code}`) });
    const client = srv.client<typeof router>();
    const bad = await client.post.add.mutate({ text: 'too long!' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(DuplexError);
    expect((bad as DuplexError).code).toBe('BAD_REQUEST');
    expect((bad as DuplexError).issues?.[0]?.path).toEqual(['text']);
    const boom = (await client.boom.query().catch((e: unknown) => e)) as DuplexError;
    expect(boom.code).toBe('INTERNAL_SERVER_ERROR');
    expect(boom.message).not.toContain('secret');
    expect(boom.stack ?? '').not.toContain('secret');
    const unauth = (await client.whoami.query().catch((e: unknown) => e)) as DuplexError;
    expect(unauth.code).toBe('UNAUTHORIZED');
    expect(errors).toEqual(['post.add:BAD_REQUEST', 'boom:INTERNAL_SERVER_ERROR', 'whoami:UNAUTHORIZED']);
  });
});
