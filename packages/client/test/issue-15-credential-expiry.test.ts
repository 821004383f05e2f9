import { DuplexError, tracked } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { createFakeClock, deferred, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';

/**
 * Tokens are `user:exp` (exp in epoch ms on the shared fake clock). createContext refuses an
 * expired token with UNAUTHORIZED; `credentialsExpireAt` states the token's exp to the client.
 * A counter mutation publishes one tracked event per increment to a live feed.
 */
function makeExpiringApp(start = 1_000_000) {
  const clock = createFakeClock(start);
  const d = initDuplex.context<{ user: string; exp: number }>().create();
  const state = { counter: 0, contexts: 0, refused: 0, release: deferred(), listeners: new Set<(n: number) => void>() };
  const router = d.router({
    whoami: d.procedure.query(({ ctx }) => ctx.user),
    bump: d.procedure.mutation(() => {
      const n = ++state.counter;
      for (const listener of state.listeners) listener(n);
      return n;
    }),
    /** Holds on until the test releases it, ignoring its signal (the effect happens once anyway). */
    slow: d.procedure.mutation(async () => {
      await state.release.promise;
      return ++state.counter;
    }),
    feed: d.procedure.subscription(async function* ({ signal }) {
      const queue: number[] = [];
      let wake: (() => void) | undefined;
      const listener = (n: number) => {
        queue.push(n);
        wake?.();
      };
      state.listeners.add(listener);
      try {
        while (!signal.aborted) {
          const n = queue.shift();
          if (n !== undefined) yield tracked(String(n), n);
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        state.listeners.delete(listener);
      }
    }),
  });
  const createContext = ({ connectionParams }: { connectionParams: Record<string, unknown> | undefined }) => {
    state.contexts++;
    const [user = '', exp = '0'] = String(connectionParams?.token ?? '').split(':');
    if (Number(exp) <= clock.now()) {
      state.refused++;
      throw new DuplexError({ code: 'UNAUTHORIZED', message: 'token expired' });
    }
    return { user, exp: Number(exp) };
  };
  const serverOptions = { createContext, clock, keepAlive: false as const, credentialsExpireAt: (ctx: { exp: number }) => ctx.exp };
  return { router, state, clock, serverOptions };
}
type ExpiringRouter = ReturnType<typeof makeExpiringApp>['router'];

describe('credentials that expire at a time the server states', () => {
  it('rotation soak (fake clock): a token living 3 s, renewed every 2 s for a minute, under a live subscription and a stream of calls', async () => {
    const { router, state, clock, serverOptions } = makeExpiringApp();
    await using srv = await startServer(router, serverOptions);
    let mints = 0;
    const client = srv.client<ExpiringRouter>({
      clock,
      keepAlive: false,
      refreshBeforeExpiryMs: 1_000,
      connectionParams: () => ({ token: `ada${++mints}:${clock.now() + 3_000}` }),
    });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    const events: number[] = [];
    const errors: unknown[] = [];
    const all = deferred();
    const STEPS = 600; // 600 × 100 ms = 60 s of fake time
    client.feed.subscribe(undefined, {
      onData: (n) => {
        events.push(n);
        if (events.length === STEPS) all.resolve();
      },
      onError: (error) => errors.push(error),
    });
    await waitForState(client, 'open');
    // The subscription is registered on the server before the first increment.
    await expect.poll(() => state.listeners.size).toBe(1);
    const users = new Set<string>();
    for (let step = 0; step < STEPS; step++) {
      clock.advance(100);
      await client.bump.mutate().catch((error: unknown) => errors.push(error));
      if (step % 50 === 49) users.add(await client.whoami.query());
    }
    await all.promise;
    expect(errors).toEqual([]);
    expect(closes).toEqual([]); // never expired: each renewal came before the server's deadline
    expect(state.counter).toBe(STEPS);
    expect(events).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1)); // one stream, nothing lost or repeated
    // One token at connect, then one renewal every 2 s: 30 in 60 s (the last may be in flight).
    expect(mints).toBeGreaterThanOrEqual(30);
    expect(mints).toBeLessThanOrEqual(31);
    expect(state.refused).toBe(0);
    expect(users.size).toBeGreaterThan(10); // calls really ran under the renewed identities
    expect(client.state).toBe('open');
  });

  it('without a renewal the server closes with 4401 at the stated time; the one reconnect with fresh params re-sends the pending mutation, which settles once', async () => {
    const { router, state, clock, serverOptions } = makeExpiringApp();
    await using srv = await startServer(router, serverOptions);
    let mints = 0;
    const client = srv.client<ExpiringRouter>({
      clock,
      keepAlive: false,
      refreshBeforeExpiryMs: false,
      connectionParams: () => ({ token: `ada${++mints}:${clock.now() + 5_000}` }),
    });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    expect(await client.whoami.query()).toBe('ada1');
    const pending = client.slow.mutate();
    await expect.poll(() => srv.server.stats().calls).toBe(1);
    clock.advance(5_000);
    await expect.poll(() => closes).toEqual([4401]);
    await waitForState(client, 'open');
    state.release.resolve();
    expect(await pending).toBe(1);
    expect(state.counter).toBe(1);
    expect(await client.whoami.query()).toBe('ada2');
    expect(mints).toBe(2);
  });

  it('a renewal that brings no later expiry is not repeated: the server closes at T, one reconnect, then the pending call fails UNAUTHORIZED (no loop)', async () => {
    const { router, state, clock, serverOptions } = makeExpiringApp();
    await using srv = await startServer(router, serverOptions);
    const fixed = `cy:${clock.now() + 4_000}`; // connectionParams always gives the same token
    let evaluated = 0;
    const client = srv.client<ExpiringRouter>({
      clock,
      keepAlive: false,
      refreshBeforeExpiryMs: 1_000,
      connectionParams: () => {
        evaluated++;
        return { token: fixed };
      },
    });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    expect(await client.whoami.query()).toBe('cy');
    clock.advance(3_000); // the renewal is due (1 s before T)
    await expect.poll(() => state.contexts).toBe(2); // hello + one auth
    clock.advance(500);
    expect(clock.pending).toBe(1); // only the server's expiry timer: no second renewal scheduled
    const refused = client.slow.mutate().catch((error: unknown) => error);
    await expect.poll(() => srv.server.stats().calls).toBe(1);
    clock.advance(500);
    const error = (await refused) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(closes).toEqual([4401, 4401]); // expired, then the one reconnect was refused
    expect(state.contexts).toBe(3);
    expect(evaluated).toBe(3); // connect, renewal, the one reconnect
    expect(client.state).toBe('closed');
    clock.advance(60_000);
    expect(state.contexts).toBe(3);
    state.release.resolve();
  });
});
