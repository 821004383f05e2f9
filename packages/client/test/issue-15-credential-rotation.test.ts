import { DuplexError } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/** Tokens name a user and a role; `revoked` tokens are refused by createContext. */
function makeAuthApp() {
  const d = initDuplex.context<{ user: string; role: string }>().create();
  const admin = d.procedure.use(async ({ ctx, next }) => {
    if (ctx.role !== 'admin') throw new DuplexError({ code: 'FORBIDDEN', message: 'admins only' });
    return next();
  });
  const router = d.router({
    whoami: d.procedure.query(({ ctx }) => `${ctx.user}:${ctx.role}`),
    audit: admin.input(z.object({ room: z.string() })).subscription(async function* ({ signal }) {
      for (let n = 0; !signal.aborted; n++) {
        yield n;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
    ticks: d.procedure.subscription(async function* ({ signal }) {
      for (let n = 0; !signal.aborted; n++) {
        yield n;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
  });
  const createContext = ({ connectionParams }: { connectionParams: Record<string, unknown> | undefined }) => {
    const token = String(connectionParams?.token ?? '');
    if (token === 'revoked') throw new DuplexError({ code: 'UNAUTHORIZED', message: 'token revoked' });
    const [user = 'anon', role = 'user'] = token.split(':');
    return { user, role };
  };
  return { router, createContext };
}
type AuthRouter = ReturnType<typeof makeAuthApp>['router'];

describe('credential rotation on a live socket (client.reauthenticate)', () => {
  it('swaps the context for new calls without reconnecting; live subscriptions keep flowing', async () => {
    const { router, createContext } = makeAuthApp();
    await using srv = await startServer(router, { createContext });
    let token = 'ada:admin';
    const client = srv.client<AuthRouter>({ connectionParams: () => ({ token }) });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    expect(await client.whoami.query()).toBe('ada:admin');
    const ticks: number[] = [];
    const sub = client.ticks.subscribe(undefined, { onData: (n) => ticks.push(n) });
    await expect.poll(() => ticks.length).toBeGreaterThan(0);
    token = 'ada2:admin';
    await client.reauthenticate();
    expect(await client.whoami.query()).toBe('ada2:admin');
    const before = ticks.length;
    await expect.poll(() => ticks.length).toBeGreaterThan(before + 1);
    expect(ticks).toEqual(ticks.map((_, i) => i)); // one stream, never restarted
    expect(closes).toEqual([]);
    sub.unsubscribe();
  });

  it('a subscription the new identity may not see ends with FORBIDDEN; the others stay', async () => {
    const { router, createContext } = makeAuthApp();
    await using srv = await startServer(router, { createContext });
    let token = 'bob:admin';
    const client = srv.client<AuthRouter>({ connectionParams: () => ({ token }) });
    const errors: DuplexError[] = [];
    const audit: number[] = [];
    const ticks: number[] = [];
    client.audit.subscribe({ room: 'r1' }, { onData: (n) => audit.push(n), onError: (error) => errors.push(error) });
    client.ticks.subscribe(undefined, { onData: (n) => ticks.push(n) });
    await expect.poll(() => audit.length > 0 && ticks.length > 0).toBe(true);
    token = 'bob:user';
    await client.reauthenticate();
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]?.code).toBe('FORBIDDEN');
    expect(errors[0]?.message).toBe('admins only');
    const after = ticks.length;
    await expect.poll(() => ticks.length).toBeGreaterThan(after);
    await expect.poll(() => srv.server.stats().subscriptions).toBe(1);
  });

  it('refused credentials reject reauthenticate() with the typed error and keep the previous context', async () => {
    const { router, createContext } = makeAuthApp();
    await using srv = await startServer(router, { createContext });
    let token = 'cy:user';
    const client = srv.client<AuthRouter>({ connectionParams: () => ({ token }) });
    expect(await client.whoami.query()).toBe('cy:user');
    token = 'revoked';
    const error = (await client.reauthenticate().catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(await client.whoami.query()).toBe('cy:user');
    expect(client.state).toBe('open');
  });

  it('recheckSubscriptions: false keeps every subscription', async () => {
    const { router, createContext } = makeAuthApp();
    await using srv = await startServer(router, { createContext, recheckSubscriptions: false });
    let token = 'di:admin';
    const client = srv.client<AuthRouter>({ connectionParams: () => ({ token }) });
    const audit: number[] = [];
    client.audit.subscribe({ room: 'r1' }, { onData: (n) => audit.push(n) });
    await expect.poll(() => audit.length).toBeGreaterThan(0);
    token = 'di:user';
    await client.reauthenticate();
    const after = audit.length;
    await expect.poll(() => audit.length).toBeGreaterThan(after);
    expect(srv.server.stats().subscriptions).toBe(1);
  });

  it('called before the connection is ready, it is sent once the server says ready', async () => {
    const { router, createContext } = makeAuthApp();
    await using srv = await startServer(router, { createContext });
    let token = 'ed:user';
    const client = srv.client<AuthRouter>({ connectionParams: () => ({ token }) });
    token = 'ed:admin';
    await client.reauthenticate();
    expect(await client.whoami.query()).toBe('ed:admin');
  });
});
