/**
 * The Fetch handler's behavioural suite, runtime-neutral like `suite.ts`: plain `fetch` against
 * `createFetchHandler` served by Node's http (`toNodeListener`), `Bun.serve` or `Deno.serve`.
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { createClient } from '@duplex/client';
import { binary } from '@duplex/client/binary';
import { httpTransport } from '@duplex/client/http';
import { type AnyRouter, DuplexError, initDuplex, type Tracked, tracked } from '@duplex/server';
import { z } from 'zod';
import { sseEvents } from './sse-events.js';

/** Serves a Fetch handler on 127.0.0.1 with the runtime's own HTTP server. */
export interface HttpHarness {
  runtime: string;
  startHttp(router: AnyRouter, options: HttpSuiteOptions): Promise<{ port: number; close(): Promise<void> }>;
}

/** The options the suite sets. */
export interface HttpSuiteOptions {
  maxMessageBytes?: number;
  devtools?: { token: string };
  createContext?: (opts: { connectionParams: Record<string, unknown> | undefined }) => { user: string | null };
}

/** One named behaviour. */
export interface HttpCase {
  name: string;
  run(harness: HttpHarness): Promise<void>;
}

type HttpRouter = ReturnType<typeof makeRouter>;

/** The `live` subscription's state, shared with the test. */
const feed = { running: 0, wake: undefined as ((value: number) => void) | undefined };

/** The `numbers` streamed result's producers: running now, and items produced. */
const producers = { running: 0, produced: 0 };

function makeRouter() {
  const d = initDuplex.context<{ user: string | null }>().create();
  const authed = d.procedure.use(({ ctx, next }) => {
    if (!ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'sign in first' });
    return next({ ctx: { user: ctx.user } });
  });
  let counter = 0;
  return d.router({
    /** Yields each value pushed with `push`, until the reader goes away. */
    live: d.procedure.subscription(async function* ({ signal }) {
      feed.running++;
      try {
        while (!signal.aborted) {
          const next = await new Promise<number | undefined>((resolve) => {
            feed.wake = resolve;
            signal.addEventListener('abort', () => resolve(undefined), { once: true });
          });
          if (next === undefined) return;
          yield next;
        }
      } finally {
        feed.running--;
      }
    }),
    push: d.procedure.input(z.number()).mutation(({ input }) => {
      const wake = feed.wake;
      feed.wake = undefined;
      wake?.(input);
      return feed.running;
    }),
    add: d.procedure.input(z.object({ a: z.number(), b: z.number() })).query(({ input }) => input.a + input.b),
    when: d.procedure.query(() => new Date(0)),
    bump: d.procedure.mutation(() => ++counter),
    whoami: authed.query(({ ctx }) => ctx.user),
    /** A streamed result: 1..to (forever without `to`), failing with CONFLICT at `failAt`. */
    numbers: d.procedure.input(z.object({ to: z.number().optional(), failAt: z.number().optional() })).query(async function* ({ input }) {
      producers.running++;
      try {
        for (let n = 1; input.to === undefined || n <= input.to; n++) {
          if (n === input.failAt) throw new DuplexError({ code: 'CONFLICT', message: `stopped at ${n}` });
          producers.produced++;
          yield n;
        }
      } finally {
        producers.running--;
      }
    }),
    /** Bytes in, the bytes reversed and a copy of them out. */
    flip: d.procedure.input(z.instanceof(Uint8Array)).mutation(({ input }) => ({ flipped: input.slice().reverse(), size: input.byteLength })),
    /** `to` events, each with `i` bytes of value `i`. */
    chunks: d.procedure.input(z.object({ to: z.number() })).subscription(async function* ({ input }) {
      for (let i = 1; i <= input.to; i++) yield new Uint8Array(i).fill(i);
    }),
    count: d.procedure.input(z.object({ to: z.number() })).subscription(async function* ({ input, lastEventId }): AsyncGenerator<Tracked<number>> {
      for (let i = lastEventId === undefined ? 1 : Number(lastEventId) + 1; i <= input.to; i++) yield tracked(String(i), i);
    }),
  });
}

const context = { createContext: ({ connectionParams }: { connectionParams: Record<string, unknown> | undefined }) => ({ user: (connectionParams?.user as string | undefined) ?? null }) };

async function json(response: Response): Promise<unknown> {
  return JSON.parse(await response.text());
}

/** Reads SSE events one at a time from a body that stays open; an ended body fails the case. */
function eventReader(response: Response): { next(): Promise<{ t: string; data?: unknown }>; cancel(): Promise<void> } {
  const events = sseEvents(response.body as ReadableStream<Uint8Array>);
  return {
    async next() {
      const event = await events.next();
      if (!event) throw new Error('stream ended');
      return event;
    },
    cancel: events.cancel,
  };
}

/** Re-checks `check` on each macrotask until it passes or 5 s have gone (eventual state only). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads an SSE body to its end: each event's id and parsed data. */
async function readEvents(response: Response): Promise<Array<{ id: string | undefined; data: { t: string; data?: unknown; error?: { code: string } } }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const lines = block.split('\n');
      const id = lines.find((line) => line.startsWith('id: '))?.slice(4);
      return { id, data: JSON.parse(lines.find((line) => line.startsWith('data: '))?.slice(6) ?? 'null') };
    });
}

/** Every HTTP behaviour, in the order the runners report them. */
export const httpCases: HttpCase[] = [
  {
    name: 'http: a query over GET and a mutation over POST, with the codec chosen per request',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const base = `http://127.0.0.1:${server.port}`;
      const input = encodeURIComponent(JSON.stringify({ a: 2, b: 3 }));
      const query = await fetch(`${base}/add?codec=json&input=${input}`);
      equal(query.status, 200);
      deepStrictEqual(await json(query), { t: 'result', data: 5 });
      const date = await fetch(`${base}/when`);
      const dated = (await json(date)) as { t: string; data: { json: string; meta: { values: string[] } } };
      deepStrictEqual([dated.t, dated.data.json, dated.data.meta.values], ['result', '1970-01-01T00:00:00.000Z', ['Date']]);
      const mutation = await fetch(`${base}/bump?codec=json`, { method: 'POST' });
      deepStrictEqual(await json(mutation), { t: 'result', data: 1 });
      // A mutation over GET is refused as on the socket (a query to a mutation is NOT_FOUND).
      const wrongVerb = await fetch(`${base}/bump?codec=json`);
      equal(wrongVerb.status, 404);
      equal(((await json(wrongVerb)) as { error: { code: string } }).error.code, 'NOT_FOUND');
      await server.close();
    },
  },
  {
    name: 'http: a batch runs every call in one request and answers each by id (207 when some failed)',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const batch = [
        { id: 1, kind: 'query', path: 'add', input: { a: 1, b: 1 } },
        { id: 2, kind: 'mutation', path: 'bump' },
        { id: 3, kind: 'query', path: 'add', input: { a: 'x' } },
        { id: 4, kind: 'query', path: 'nope' },
      ];
      const response = await fetch(`http://127.0.0.1:${server.port}/?codec=json`, { method: 'POST', body: JSON.stringify(batch) });
      equal(response.status, 207);
      const answers = (await json(response)) as Array<{ t: string; id: number; data?: unknown; error?: { code: string; issues?: unknown[] } }>;
      deepStrictEqual(answers.map((a) => [a.id, a.t]), [[1, 'result'], [2, 'result'], [3, 'error'], [4, 'error']]);
      equal(answers[0]?.data, 2);
      equal(answers[1]?.data, 1);
      equal(answers[2]?.error?.code, 'BAD_REQUEST');
      ok((answers[2]?.error?.issues?.length ?? 0) > 0, 'validation issues travel as on the socket');
      equal(answers[3]?.error?.code, 'NOT_FOUND');
      const queries = encodeURIComponent(JSON.stringify([batch[0]]));
      const get = await fetch(`http://127.0.0.1:${server.port}/?codec=json&batch=${queries}`);
      equal(get.status, 200);
      deepStrictEqual(await json(get), [{ t: 'result', id: 1, data: 2 }]);
      await server.close();
    },
  },
  {
    name: 'http: context from X-Duplex-Params through middleware; refusals, origins and limits as on the socket',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), { ...context, maxMessageBytes: 1_000 });
      const base = `http://127.0.0.1:${server.port}`;
      const anonymous = await fetch(`${base}/whoami?codec=json`);
      equal(anonymous.status, 401);
      deepStrictEqual(await json(anonymous), { t: 'error', error: { code: 'UNAUTHORIZED', message: 'sign in first' } });
      const signedIn = await fetch(`${base}/whoami?codec=json`, { headers: { 'X-Duplex-Params': encodeURIComponent(JSON.stringify({ user: 'ada' })) } });
      deepStrictEqual(await json(signedIn), { t: 'result', data: 'ada' });
      const evil = await fetch(`${base}/bump`, { method: 'POST', headers: { Origin: 'https://evil.example' } });
      equal(evil.status, 403);
      const big = await fetch(`${base}/bump`, { method: 'POST', body: JSON.stringify('x'.repeat(2_000)) });
      equal(big.status, 413);
      equal(((await json(big)) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
      const garbage = await fetch(`${base}/`, { method: 'POST', body: '[{' });
      equal(garbage.status, 400);
      await server.close();
    },
  },
  {
    name: 'http: OPTIONS states the dedupe window; a mutation re-sent with its session and seq runs once',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const base = `http://127.0.0.1:${server.port}`;
      const probe = await fetch(`${base}/`, { method: 'OPTIONS', headers: { Origin: base } });
      equal(probe.status, 204);
      deepStrictEqual(JSON.parse(probe.headers.get('x-duplex-dedupe') ?? 'null'), { windowMs: 600_000, maxEntries: 256 });
      ok(probe.headers.get('access-control-allow-headers')?.includes('X-Duplex-Session'), 'a cross-origin page may send the session');
      equal(probe.headers.get('access-control-expose-headers'), 'X-Duplex-Dedupe');
      const session = { 'X-Duplex-Session': `session-${Math.random().toString(36).slice(2).padEnd(12, '0')}`, 'X-Duplex-Seq': '0' };
      const send = async (seq: number) => {
        const response = await fetch(`${base}/?codec=json`, { method: 'POST', headers: session, body: JSON.stringify([{ id: 1, kind: 'mutation', path: 'bump', seq }]) });
        return json(response);
      };
      deepStrictEqual(await send(1), [{ t: 'result', id: 1, data: 1 }]);
      // The same seq again (its answer was lost): answered from the window, the handler not run.
      deepStrictEqual(await send(1), [{ t: 'result', id: 1, data: 1 }]);
      deepStrictEqual(await send(2), [{ t: 'result', id: 1, data: 2 }]);
      await server.close();
    },
  },
  {
    name: 'http: a subscription over SSE carries tracked ids and resumes after Last-Event-ID',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const url = `http://127.0.0.1:${server.port}/count?codec=json&input=${encodeURIComponent(JSON.stringify({ to: 4 }))}`;
      const first = await fetch(url, { headers: { Accept: 'text/event-stream' } });
      equal(first.headers.get('content-type'), 'text/event-stream');
      const events = await readEvents(first);
      deepStrictEqual(
        events.map((e) => [e.id, e.data.t, e.data.data]),
        [['1', 'data', 1], ['2', 'data', 2], ['3', 'data', 3], ['4', 'data', 4], [undefined, 'done', undefined]],
      );
      const resumed = await readEvents(await fetch(url, { headers: { 'Last-Event-ID': '2' } }));
      deepStrictEqual(resumed.map((e) => e.data.data ?? e.data.t), [3, 4, 'done']);
      await server.close();
    },
  },
  {
    name: 'http: an SSE stream stays open for later events; a reader that leaves ends the handler',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const base = `http://127.0.0.1:${server.port}`;
      const events = eventReader(await fetch(`${base}/live?codec=json`));
      const push = async (value: number) => {
        await eventually(() => feed.wake !== undefined, 'the handler to wait');
        const response = await fetch(`${base}/push?codec=json`, { method: 'POST', body: JSON.stringify(value) });
        return ((await json(response)) as { data: number }).data;
      };
      equal(await push(7), 1);
      deepStrictEqual(await events.next(), { t: 'data', data: 7 });
      await push(8);
      deepStrictEqual(await events.next(), { t: 'data', data: 8 });
      await events.cancel();
      await eventually(() => feed.running === 0, "the handler's finally");
      await server.close();
    },
  },
  {
    name: 'http: a streamed result answers as an event stream (result, items, done or error); in a batch with ids',
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const base = `http://127.0.0.1:${server.port}`;
      const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));
      const whole = await fetch(`${base}/numbers?codec=json&input=${input({ to: 3 })}`);
      equal(whole.status, 200);
      equal(whole.headers.get('content-type'), 'text/event-stream');
      deepStrictEqual(
        (await readEvents(whole)).map((e) => e.data),
        [{ t: 'result', stream: true }, { t: 'data', data: 1 }, { t: 'data', data: 2 }, { t: 'data', data: 3 }, { t: 'done' }],
      );
      // More items than the first credit window (16): credit goes back as the body takes them.
      const long = await readEvents(await fetch(`${base}/numbers?codec=json&input=${input({ to: 40 })}`));
      deepStrictEqual(long.map((e) => e.data.data ?? e.data.t), ['result', ...Array.from({ length: 40 }, (_, i) => i + 1), 'done']);
      const failed = await readEvents(await fetch(`${base}/numbers?codec=json&input=${input({ to: 5, failAt: 3 })}`));
      deepStrictEqual(failed.map((e) => e.data), [
        { t: 'result', stream: true },
        { t: 'data', data: 1 },
        { t: 'data', data: 2 },
        { t: 'error', error: { code: 'CONFLICT', message: 'stopped at 3' } },
      ]);
      const batch = [
        { id: 1, kind: 'query', path: 'add', input: { a: 1, b: 1 } },
        { id: 2, kind: 'query', path: 'numbers', input: { to: 2 } },
        { id: 3, kind: 'query', path: 'nope' },
      ];
      const batched = await fetch(`${base}/?codec=json`, { method: 'POST', body: JSON.stringify(batch) });
      equal(batched.status, 207);
      equal(batched.headers.get('content-type'), 'text/event-stream');
      const events = (await readEvents(batched)).map((e) => e.data as { t: string; id?: number; data?: unknown; error?: { code: string } });
      deepStrictEqual(events.slice(0, 3).map((e) => [e.id, e.t, e.data ?? e.error?.code]), [[1, 'result', 2], [2, 'result', undefined], [3, 'error', 'NOT_FOUND']]);
      deepStrictEqual(events.slice(3), [{ t: 'data', id: 2, data: 1 }, { t: 'data', id: 2, data: 2 }, { t: 'done', id: 2 }]);
      equal(producers.running, 0);
      await server.close();
    },
  },
  {
    name: "http: a reader that leaves a streamed result ends its producer (the generator's finally runs)",
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const events = eventReader(await fetch(`http://127.0.0.1:${server.port}/numbers?codec=json&input=${encodeURIComponent('{}')}`));
      deepStrictEqual(await events.next(), { t: 'result', stream: true });
      deepStrictEqual(await events.next(), { t: 'data', data: 1 });
      equal(producers.running, 1);
      await events.cancel();
      await eventually(() => producers.running === 0, "the producer's finally");
      await server.close();
    },
  },
  {
    name: "http: the client's HTTP transport on this runtime's fetch: batched calls, errors, a tracked subscription",
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${server.port}`, transport: httpTransport(), connectionParams: { user: 'ada' } });
      const [sum, who] = await Promise.all([client.add.query({ a: 1, b: 2 }), client.whoami.query()]);
      deepStrictEqual([sum, who], [3, 'ada']);
      const error = (await client.add.query({ a: 'x' } as never).catch((e: unknown) => e)) as DuplexError;
      equal(error.code, 'BAD_REQUEST');
      const seen: Array<[number, string | undefined]> = [];
      await new Promise<void>((resolve, reject) => {
        client.count.subscribe({ to: 3 }, { onData: (value, { id }) => seen.push([value, id]), onComplete: resolve, onError: reject });
      });
      deepStrictEqual(seen, [[1, '1'], [2, '2'], [3, '3']]);
      // A streamed result is an AsyncIterable, as on the socket; leaving the loop ends the producer.
      const items: number[] = [];
      for await (const n of await client.numbers.query({ to: 20 })) items.push(n);
      deepStrictEqual(items, Array.from({ length: 20 }, (_, i) => i + 1));
      for await (const n of await client.numbers.query({})) if (n === 3) break;
      await eventually(() => producers.running === 0, "the producer's finally after break");
      await client.close();
      await server.close();
    },
  },
  {
    name: "http: Uint8Array values with `binary` on this runtime's fetch: bytes in calls, results and SSE events",
    async run(harness) {
      const server = await harness.startHttp(makeRouter(), context);
      const client = createClient<HttpRouter>({ url: `ws://127.0.0.1:${server.port}`, transport: httpTransport(), binary });
      const [flipped, sum] = await Promise.all([client.flip.mutate(new Uint8Array([1, 2, 3])), client.add.query({ a: 1, b: 2 })]);
      ok(flipped.flipped instanceof Uint8Array, 'bytes come back as a Uint8Array');
      deepStrictEqual([[...flipped.flipped], flipped.size, sum], [[3, 2, 1], 3, 3]);
      const seen: number[][] = [];
      await new Promise<void>((resolve, reject) => {
        client.chunks.subscribe({ to: 3 }, { onData: (chunk) => seen.push([...chunk]), onComplete: resolve, onError: reject });
      });
      deepStrictEqual(seen, [[1], [2, 2], [3, 3, 3]]);
      await client.close();
      await server.close();
    },
  },
  {
    name: 'http: devtools page and state behind the token (loopback read from this runtime); the page calls over HTTP',
    async run(harness) {
      const token = 'http-suite-devtools-token';
      const server = await harness.startHttp(makeRouter(), { ...context, devtools: { token } });
      const base = `http://127.0.0.1:${server.port}`;
      equal((await fetch(`${base}/__duplex`)).status, 401);
      // 200 only if the handler got the TCP peer from this runtime as loopback (unknown counts as remote: 403).
      const page = await fetch(`${base}/__duplex?token=${token}`);
      equal(page.status, 200);
      ok(page.headers.get('content-security-policy')?.startsWith("default-src 'none'; script-src 'sha256-"), 'strict CSP');
      equal(page.headers.get('x-frame-options'), 'DENY');
      ok((await page.text()).includes('<title>duplex devtools</title>'));
      const state = async () =>
        (await (await fetch(`${base}/__duplex/state`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
          transport: string;
          httpBase: string;
          procedures: Array<{ path: string }>;
          connections: Array<{ address: string; subscriptions: number }>;
          errors: Array<{ code: string; path: string }>;
        };
      const first = await state();
      deepStrictEqual([first.transport, first.httpBase], ['http', '']);
      ok(first.procedures.some((proc) => proc.path === 'numbers'));
      equal((await fetch(`${base}/whoami?codec=json`)).status, 401);
      // A subscription's event stream is a connection while it is open.
      const events = eventReader(await fetch(`${base}/live?codec=json`));
      await eventually(() => feed.wake !== undefined, 'the subscription to start');
      const during = await state();
      deepStrictEqual(during.errors.map((e) => [e.code, e.path]), [['UNAUTHORIZED', 'whoami']]);
      equal(during.connections.length, 1);
      equal(during.connections[0]?.subscriptions, 1);
      ok(/^(?:127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/.test(during.connections[0]?.address ?? ''), `loopback address, got ${during.connections[0]?.address}`);
      await events.cancel();
      await eventually(() => feed.running === 0, "the handler's finally");
      await server.close();
    },
  },
];
