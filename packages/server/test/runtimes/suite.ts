/**
 * The server's behavioural suite, runtime-neutral: it runs under Node (vitest, `node.test.ts`),
 * Bun (`bun-main.ts`) and Deno (`deno-main.ts`), each on its own adapter and its own WebSocket.
 * It uses only standard APIs (WebSocket, fetch, `node:assert`, `node:http`) and the public client.
 */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createClient, type WebSocketConstructor, type WebSocketLike } from '@duplex/client';
import { binary } from '@duplex/client/binary';
import { type AnyRouter, SUBPROTOCOL } from '@duplex/core';
import { DuplexError, initDuplex, type ServerStats } from '@duplex/server';
import { EventLog } from '@duplex/test-utils/event-log';
import { z } from 'zod';

/** What each runtime provides: its adapter, started on 127.0.0.1, and its WebSocket class. */
export interface Harness {
  runtime: string;
  start(router: AnyRouter, options: SuiteOptions, port?: number): Promise<RunningServer>;
  WebSocket: WebSocketConstructor;
}

/** The server options the suite sets, valid for every adapter. */
export interface SuiteOptions {
  maxMessageBytes?: number;
  verifyUpgrade?: (opts: { request: unknown }) => boolean;
  devtools?: { token: string };
}

/** A started server of any adapter. */
export interface RunningServer {
  port: number;
  close(opts?: { drainMs?: number }): Promise<void>;
  stats(): ServerStats;
}

/** One named behaviour. */
export interface SuiteCase {
  name: string;
  run(harness: Harness): Promise<void>;
}

/** A promise with its resolve exposed. */
function deferred<TValue = void>(): { promise: Promise<TValue>; resolve: (value: TValue) => void } {
  let resolve!: (value: TValue) => void;
  const promise = new Promise<TValue>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Re-checks `check` on each macrotask until it passes or 5 s have gone (eventual state only). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function makeRouter(log: EventLog, slow: { started: () => void; finish: Promise<string> }) {
  const d = initDuplex.create();
  return d.router({
    add: d.procedure.input(z.object({ a: z.number(), b: z.number() })).query(({ input }) => input.a + input.b),
    echo: d.procedure.input(z.unknown()).mutation(({ input }) => input),
    slow: d.procedure.query(() => {
      slow.started();
      return slow.finish;
    }),
    feed: d.procedure.subscription(({ signal, lastEventId }) => log.since(lastEventId, signal)),
  });
}
type SuiteRouter = ReturnType<typeof makeRouter>;

function fixture() {
  const log = new EventLog();
  const started = deferred();
  const finish = deferred<string>();
  const router = makeRouter(log, { started: () => started.resolve(), finish: finish.promise });
  return { log, started, finish, router };
}

/** The HTTP status an upgrade request gets (101 when accepted), over `node:http`, which every runtime has. */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request header on Node's `IncomingMessage` or a Fetch `Request`. */
function headerOf(request: unknown, name: string): string | null | undefined {
  if (request instanceof Request) return request.headers.get(name);
  return (request as { headers: Record<string, string | undefined> }).headers[name];
}

/** Opens a raw socket offering duplex.v1; resolves once open, with its close event. */
async function openRaw(harness: Harness, port: number): Promise<{ ws: WebSocketLike; closed: Promise<number> }> {
  const ws = new harness.WebSocket(`ws://127.0.0.1:${port}`, SUBPROTOCOL);
  const closed = new Promise<number>((resolve) => {
    ws.onclose = (event) => resolve(event.code);
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('raw socket failed to open'));
  });
  return { ws, closed };
}

const fast = { minDelayMs: 10, maxDelayMs: 50 };

const devtoolsToken = 'runtime-suite-devtools-token';

interface DevtoolsState {
  transport: string;
  socketPath: string;
  procedures: Array<{ path: string; kind: string }>;
  connections: Array<{ id: string; address: string }>;
  errors: Array<{ code: string; path: string; connectionId: string }>;
}

/** Every behaviour, in the order the runners report them. */
export const cases: SuiteCase[] = [
  {
    name: 'connects, calls, and releases the connection when the client closes',
    async run(harness) {
      const { router } = fixture();
      const server = await harness.start(router, {});
      const client = createClient<SuiteRouter>({ url: `ws://127.0.0.1:${server.port}`, WebSocket: harness.WebSocket });
      equal(await client.add.query({ a: 2, b: 3 }), 5);
      equal(client.state, 'open');
      const error = (await client.add.query({ a: 'x' } as never).catch((e: unknown) => e)) as { code: string };
      equal(error.code, 'BAD_REQUEST');
      equal(server.stats().connections, 1);
      await client.close();
      await eventually(() => server.stats().connections === 0, 'the connection to be released');
      await server.close({ drainMs: 0 });
    },
  },
  {
    name: 'carries Uint8Array payloads in binary frames both ways',
    async run(harness) {
      const { router } = fixture();
      const server = await harness.start(router, {});
      const client = createClient<SuiteRouter>({ url: `ws://127.0.0.1:${server.port}`, WebSocket: harness.WebSocket, binary });
      const bytes = new Uint8Array(70_000).map((_, i) => i % 251);
      const back = (await client.echo.mutate({ label: 'blob', bytes })) as { label: string; bytes: Uint8Array };
      equal(back.label, 'blob');
      ok(back.bytes instanceof Uint8Array, 'bytes come back as a Uint8Array');
      deepStrictEqual([...back.bytes], [...bytes]);
      await client.close();
      await server.close({ drainMs: 0 });
    },
  },
  {
    name: 'refuses a cross-origin page (403), a missing subprotocol (400) and verifyUpgrade refusals (401)',
    async run(harness) {
      const { router } = fixture();
      const server = await harness.start(router, {
        verifyUpgrade: ({ request }: { request: unknown }) => {
          if (headerOf(request, 'authorization') === 'no') throw new DuplexError({ code: 'UNAUTHORIZED', message: 'no token' });
          return true;
        },
      });
      const proto = { 'Sec-WebSocket-Protocol': SUBPROTOCOL };
      equal(await upgradeStatus(server.port, { ...proto, Origin: 'https://evil.example' }), 403);
      equal(await upgradeStatus(server.port, { ...proto, Origin: `http://127.0.0.1:${server.port}` }), 101);
      equal(await upgradeStatus(server.port, {}), 400);
      equal(await upgradeStatus(server.port, proto), 101);
      equal(await upgradeStatus(server.port, { ...proto, Authorization: 'no' }), 401);
      await server.close({ drainMs: 0 });
    },
  },
  {
    name: 'closes a connection whose frame passes maxMessageBytes with 1009; other connections go on',
    async run(harness) {
      const { router } = fixture();
      const server = await harness.start(router, { maxMessageBytes: 4_096 });
      const client = createClient<SuiteRouter>({ url: `ws://127.0.0.1:${server.port}`, WebSocket: harness.WebSocket });
      equal(await client.add.query({ a: 1, b: 1 }), 2);
      const raw = await openRaw(harness, server.port);
      raw.ws.send(JSON.stringify({ t: 'hello', v: 1, codec: 'json' }));
      raw.ws.send(JSON.stringify({ t: 'call', id: 1, kind: 'mutation', path: 'echo', input: 'x'.repeat(10_000) }));
      equal(await raw.closed, 1009);
      equal(await client.add.query({ a: 2, b: 2 }), 4);
      await client.close();
      await server.close({ drainMs: 0 });
    },
  },
  {
    name: 'drains: refuses upgrades (503), finishes the call in flight, and the subscription resumes on the next server from its last event id',
    async run(harness) {
      const { router, log, started, finish } = fixture();
      const first = await harness.start(router, {});
      const port = first.port;
      const client = createClient<SuiteRouter>({ url: `ws://127.0.0.1:${port}`, WebSocket: harness.WebSocket, reconnect: fast });
      const seen: Array<[number, string | undefined]> = [];
      const got = (count: number) => eventually(() => seen.length >= count, `${count} events`);
      const sub = client.feed.subscribe(undefined, { onData: (value, { id }) => seen.push([value, id]) });
      log.append(3);
      await got(3);
      const call = client.slow.query();
      await started.promise;

      const closing = first.close({ drainMs: 30_000 });
      equal(await upgradeStatus(port, { 'Sec-WebSocket-Protocol': SUBPROTOCOL }), 503);
      finish.resolve('finished');
      equal(await call, 'finished');
      await closing;
      equal(log.running, 0);

      log.append(2); // written while no server runs: the resumed subscription must replay them
      const second = await harness.start(router, {}, port);
      await got(5);
      log.append(1);
      await got(6);
      deepStrictEqual(seen, [0, 1, 2, 3, 4, 5].map((i) => [i, String(i)]));
      sub.unsubscribe();
      await client.close();
      await eventually(() => second.stats().connections === 0, 'the connection to be released');
      await second.close({ drainMs: 0 });
    },
  },
  {
    name: 'devtools: the page and its state behind the token (loopback read from this runtime), its socket an ordinary connection',
    async run(harness) {
      const { router } = fixture();
      const server = await harness.start(router, { devtools: { token: devtoolsToken } });
      const base = `http://127.0.0.1:${server.port}`;
      equal((await fetch(`${base}/__duplex`)).status, 401);
      equal((await fetch(`${base}/__duplex/state?token=${devtoolsToken}`)).status, 401);
      // 200 only if the adapter read the TCP peer as loopback: an unknown address counts as remote (403).
      const page = await fetch(`${base}/__duplex?token=${devtoolsToken}`);
      equal(page.status, 200);
      equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      ok(page.headers.get('content-security-policy')?.startsWith("default-src 'none'; script-src 'sha256-"), 'strict CSP');
      equal(page.headers.get('x-frame-options'), 'DENY');
      ok((await page.text()).includes('<title>duplex devtools</title>'));
      const state = async () => (await (await fetch(`${base}/__duplex/state`, { headers: { Authorization: `Bearer ${devtoolsToken}` } })).json()) as DevtoolsState;
      const before = await state();
      equal(before.transport, 'websocket');
      deepStrictEqual(before.procedures.map((proc) => `${proc.path}:${proc.kind}`), ['add:query', 'echo:mutation', 'feed:subscription', 'slow:query']);
      // The page's socket, on the path the state names, with the runtime's own WebSocket.
      const client = createClient<SuiteRouter>({ url: `ws://127.0.0.1:${server.port}${before.socketPath}`, WebSocket: harness.WebSocket });
      const error = (await client.add.query({ a: 'x' } as never).catch((e: unknown) => e)) as { code: string };
      equal(error.code, 'BAD_REQUEST');
      const after = await state();
      equal(after.connections.length, 1);
      ok(/^(?:127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/.test(after.connections[0]?.address ?? ''), `loopback address, got ${after.connections[0]?.address}`);
      deepStrictEqual(after.errors.map((e) => [e.code, e.path, e.connectionId]), [['BAD_REQUEST', 'add', after.connections[0]?.id]]);
      await client.close();
      await server.close({ drainMs: 0 });
    },
  },
];
