import { DuplexError } from '@duplex/core';
import { type DedupeStore, initDuplex, MemoryDedupeStore } from '@duplex/server';
import { createFetchHandler } from '@duplex/server/fetch';
import { serveFetchHandler } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../src/index.js';
import { httpTransport } from '../src/http.js';

const fast = { minDelayMs: 10, maxDelayMs: 50 };

function makeRouter() {
  const d = initDuplex.create();
  const state = { runs: 0 };
  const router = d.router({
    pay: d.procedure.input(z.object({ cents: z.number() })).mutation(({ input }) => {
      state.runs++;
      return { paid: input.cents, receipt: `r${state.runs}` };
    }),
  });
  return { router, state };
}
type PayRouter = ReturnType<typeof makeRouter>['router'];

/** The Fetch handler on Node http with its own dedupe window (or none). */
async function serve(dedupe: DedupeStore | false) {
  const { router, state } = makeRouter();
  const handler = createFetchHandler({ router, dedupe });
  const { url, close } = await serveFetchHandler(handler);
  return { url, state, close };
}

/**
 * fetch that loses the response to the first POST carrying `pay`: the request reaches the server,
 * which runs it and answers, and the answer is dropped on the way back, as a proxy or a
 * network cut would. Records every `pay` POST's calls.
 */
function losingFetch() {
  const payPosts: Array<Array<{ path: string; seq?: number }>> = [];
  const sessions: Array<string | null> = [];
  const fetcher: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    if (init?.method !== 'POST' || !body.includes('"pay"')) return fetch(input, init);
    payPosts.push(JSON.parse(body) as Array<{ path: string; seq?: number }>);
    sessions.push(new Headers(init.headers).get('x-duplex-session'));
    const response = await fetch(input, init);
    if (payPosts.length > 1) return response;
    await response.text();
    throw new TypeError('fetch failed: the response was lost');
  };
  return { fetch: fetcher, payPosts, sessions };
}

describe('issue 16: exactly-once mutations over the HTTP transport', () => {
  it('a POST mutation re-sent after its response was lost runs once and resolves with the first result', async () => {
    const server = await serve(new MemoryDedupeStore());
    const losing = losingFetch();
    const client = createClient<PayRouter>({ url: server.url, transport: httpTransport({ fetch: losing.fetch }), reconnect: fast });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));

    expect(await client.pay.mutate({ cents: 500 })).toEqual({ paid: 500, receipt: 'r1' });
    expect(server.state.runs).toBe(1);
    expect(closes).toEqual([1006]); // the lost response cost the link, and the reconnect re-sent the call
    expect(losing.payPosts).toHaveLength(2);
    const [first, again] = losing.payPosts.map((calls) => calls[0]);
    expect(first?.seq).toBeGreaterThan(0);
    expect(again?.seq).toBe(first?.seq); // its original identity: the same session and seq
    expect(losing.sessions[1]).toBe(losing.sessions[0]);
    expect(losing.sessions[0]).toEqual(expect.any(String));

    // The next mutation is a new one: it runs.
    expect(await client.pay.mutate({ cents: 1 })).toEqual({ paid: 1, receipt: 'r2' });
    await client.close();
    await server.close();
  });

  it('without a dedupe window on the server, the call fails retryable instead of running twice', async () => {
    const server = await serve(false);
    const losing = losingFetch();
    const client = createClient<PayRouter>({ url: server.url, transport: httpTransport({ fetch: losing.fetch }), reconnect: fast });

    const error = (await client.pay.mutate({ cents: 500 }).catch((e: unknown) => e)) as DuplexError;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(server.state.runs).toBe(1);
    expect(losing.payPosts).toHaveLength(1);
    await client.close();
    await server.close();
  });
});
