import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@duplex/client';
import { createWsServer, DuplexError, initDuplex, tracked } from '@duplex/server';
import { WebSocket } from 'ws';

/**
 * `npm run bench:faults -- --mode=rotation`: credentials that expire every 3 s, renewed by the
 * client every 2 s (`refreshBeforeExpiryMs: 1_000`) on the open connection, for a minute, under
 * a live tracked subscription (an event every 10 ms) and a stream of calls (one every 10 ms).
 * The server closes an expired connection with 4401, so a late renewal would show up.
 */

export interface RotationResult {
  durationMs: number;
  tokenLifetimeMs: number;
  /** Tokens minted by connectionParams (the first one included). */
  tokens: number;
  /** createContext runs: hello + accepted renewals + refusals. */
  contexts: number;
  refused: number;
  closes: number[];
  events: { published: number; received: number; lost: number; duplicated: number; outOfOrder: number };
  calls: { started: number; ok: number; failed: Record<string, number> };
  subscriptionErrors: string[];
}

const d = initDuplex.context<{ user: string; exp: number }>().create();

export async function runRotation(options: { durationMs: number; tokenLifetimeMs?: number }): Promise<RotationResult> {
  const lifetime = options.tokenLifetimeMs ?? 3_000;
  const listeners = new Set<(n: number) => void>();
  let counter = 0;
  const router = d.router({
    whoami: d.procedure.query(({ ctx }) => ctx.user),
    bump: d.procedure.mutation(() => ++counter),
    feed: d.procedure.subscription(async function* ({ lastEventId, signal }) {
      const queue: number[] = [];
      let wake: (() => void) | undefined;
      const listener = (n: number) => {
        queue.push(n);
        wake?.();
      };
      listeners.add(listener);
      try {
        // Events are not replayed: the rotation must not need a resume at all.
        if (lastEventId !== undefined) throw new DuplexError({ code: 'CONFLICT', message: 'resumed: the subscription was restarted' });
        while (!signal.aborted) {
          const n = queue.shift();
          if (n !== undefined) yield tracked(String(n), n);
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        listeners.delete(listener);
      }
    }),
  });
  let contexts = 0;
  let refused = 0;
  const server = createWsServer({
    router,
    createContext: ({ connectionParams }) => {
      contexts++;
      const [user = '', exp = '0'] = String(connectionParams?.token ?? '').split(':');
      if (Number(exp) <= Date.now()) {
        refused++;
        throw new DuplexError({ code: 'UNAUTHORIZED', message: 'token expired' });
      }
      return { user, exp: Number(exp) };
    },
    credentialsExpireAt: (ctx) => ctx.exp,
  });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  let tokens = 0;
  const client = createClient<typeof router>({
    url: `ws://127.0.0.1:${port}`,
    WebSocket,
    refreshBeforeExpiryMs: lifetime - 2_000,
    connectionParams: () => ({ token: `user${++tokens}:${Date.now() + lifetime}` }),
  });
  const closes: number[] = [];
  client.on('close', ({ code }) => closes.push(code));
  const received: number[] = [];
  const subscriptionErrors: string[] = [];
  const sub = client.feed.subscribe(undefined, {
    onData: (n) => received.push(n),
    onError: (error) => subscriptionErrors.push(`${error.code}: ${error.message}`),
  });
  const calls = { started: 0, ok: 0, failed: {} as Record<string, number> };
  const pending: Promise<void>[] = [];
  await client.whoami.query();
  while (listeners.size === 0) await sleep(5);
  let published = 0;
  const began = Date.now();
  while (Date.now() - began < options.durationMs) {
    for (const listener of listeners) listener(published + 1);
    published++;
    calls.started++;
    const call = calls.started % 2 === 0 ? client.whoami.query() : client.bump.mutate();
    pending.push(
      call.then(
        () => void calls.ok++,
        (error: DuplexError) => void (calls.failed[error.code] = (calls.failed[error.code] ?? 0) + 1),
      ),
    );
    await sleep(10);
  }
  await Promise.all(pending);
  // Bounded wait for the last events in flight.
  for (let i = 0; i < 200 && received.length < published && subscriptionErrors.length === 0; i++) await sleep(5);
  sub.unsubscribe();
  const lostLinks = [...closes]; // before our own close (1000)
  await client.close();
  await server.close({ drainMs: 0 });
  const seen = new Set<number>();
  let duplicated = 0;
  let outOfOrder = 0;
  let max = 0;
  for (const n of received) {
    if (seen.has(n)) duplicated++;
    else if (n < max) outOfOrder++;
    seen.add(n);
    max = Math.max(max, n);
  }
  return {
    durationMs: Date.now() - began,
    tokenLifetimeMs: lifetime,
    tokens,
    contexts,
    refused,
    closes: lostLinks,
    events: { published, received: received.length, lost: published - seen.size, duplicated, outOfOrder },
    calls,
    subscriptionErrors,
  };
}

export function renderRotation(r: RotationResult): string {
  const failed = Object.entries(r.calls.failed).map(([code, n]) => `${code}: ${n}`).join(', ') || '0';
  return [
    '| duration | token lifetime | tokens minted | renewals refused | closes | events published / received | lost | duplicated | calls ok / started | calls failed | subscription errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${(r.durationMs / 1000).toFixed(1)} s | ${r.tokenLifetimeMs / 1000} s | ${r.tokens} | ${r.refused} | ${r.closes.join(', ') || 'none'} | ${r.events.published} / ${r.events.received} | ${r.events.lost} | ${r.events.duplicated} | ${r.calls.ok} / ${r.calls.started} | ${failed} | ${r.subscriptionErrors.length} |`,
  ].join('\n');
}
