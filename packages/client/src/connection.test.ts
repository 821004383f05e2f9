import { Attachments, CloseCode, DuplexError, encodeBinaryFrame, superjsonCodec } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { createFakeClock, FakeWebSocket, type FakeClock } from '@duplex/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { binary } from './binary.js';
import { type ClientOptions, createClient } from './create-client.js';
import type { ClientState } from './types.js';

const d = initDuplex.create();
const router = d.router({
  q: d.procedure.query(() => 1),
  bytes: d.procedure.input(z.instanceof(Uint8Array)).query(({ input }) => input),
  m: d.procedure.mutation(() => 1),
  s: d.procedure.subscription(async function* () {
    yield 1;
  }),
  files: d.procedure.subscription(async function* () {
    yield new Uint8Array(1);
  }),
});

/** Lets the peer's microtask batching run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const ready = (socket: FakeWebSocket) => {
  socket.open();
  socket.receive({ t: 'ready', cid: 'c1' });
};
const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as DuplexError);

let clock: FakeClock;
beforeEach(() => {
  FakeWebSocket.reset();
  clock = createFakeClock();
});

function makeClient(options: Partial<ClientOptions> = {}) {
  const client = createClient<typeof router>({
    url: 'ws://test',
    WebSocket: FakeWebSocket,
    clock,
    random: () => 0.5,
    ...options,
  });
  const states: ClientState[] = [];
  client.on('state', (s) => states.push(s));
  return { client, states };
}

describe('reconnect', () => {
  it('re-evaluates connectionParams on every attempt and reports reconnecting → open', async () => {
    let n = 0;
    const { client, states } = makeClient({ connectionParams: async () => ({ token: `t${++n}` }) });
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    expect(FakeWebSocket.last.sent[0]).toMatchObject({ t: 'hello', params: { token: 't1' } });
    FakeWebSocket.last.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(clock.next()).toBe(true); // the backoff timer
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2);
    ready(FakeWebSocket.last);
    await flush();
    expect(FakeWebSocket.last.sent[0]).toMatchObject({ t: 'hello', params: { token: 't2' } });
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    await client.close();
  });

  it('fails calls in flight with a retryable SERVICE_UNAVAILABLE and sends queued ones after reconnect', async () => {
    const { client } = makeClient({ keepAlive: false });
    await flush();
    ready(FakeWebSocket.last);
    const inFlight = errorOf(client.m.mutate());
    await flush();
    FakeWebSocket.last.serverClose(1006);
    const error = await inFlight;
    expect(error).toBeInstanceOf(DuplexError);
    expect(error?.code).toBe('SERVICE_UNAVAILABLE');
    expect(error?.retryable).toBe(true);
    const queued = client.q.query();
    clock.next();
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    const call = FakeWebSocket.last.sent.find((m) => m.t === 'call');
    expect(call).toMatchObject({ kind: 'query', path: 'q' });
    FakeWebSocket.last.receive({ t: 'result', id: call?.id, data: { json: 7 } });
    expect(await queued).toBe(7);
    await client.close();
  });

  it('bounds the queue of calls made while disconnected', async () => {
    const { client } = makeClient({ maxQueuedCalls: 2, keepAlive: false });
    const first = errorOf(client.q.query());
    const second = errorOf(client.q.query());
    const third = await errorOf(client.q.query());
    expect(third?.code).toBe('TOO_MANY_REQUESTS');
    expect(third?.message).toContain('maxQueuedCalls 2');
    expect(third?.retryable).toBe(true);
    await client.close();
    expect((await first)?.code).toBe('CANCELLED');
    expect((await second)?.code).toBe('CANCELLED');
  });

  it('re-sends queries (opt-in) but never mutations after a drop', async () => {
    const { client } = makeClient({ retryQueries: 1, keepAlive: false });
    await flush();
    ready(FakeWebSocket.last);
    const query = client.q.query();
    const mutation = errorOf(client.m.mutate());
    await flush();
    FakeWebSocket.last.serverClose(1006);
    expect((await mutation)?.code).toBe('SERVICE_UNAVAILABLE');
    clock.next();
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    const calls = FakeWebSocket.last.sent.filter((m) => m.t === 'call');
    expect(calls.map((m) => m.kind)).toEqual(['query']);
    FakeWebSocket.last.receive({ t: 'result', id: calls[0]?.id, data: { json: 3 } });
    expect(await query).toBe(3);
    await client.close();
  });

  it('re-sends a mutation in flight to a server that keeps a dedupe window, with its original seq', async () => {
    const { client } = makeClient({ keepAlive: false });
    await flush();
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive({ t: 'ready', cid: 'c1', dedupe: { windowMs: 60_000, maxEntries: 10 } });
    const mutation = client.m.mutate();
    await flush();
    const first = FakeWebSocket.last.sent.find((m) => m.t === 'call');
    const hello1 = FakeWebSocket.last.sent.find((m) => m.t === 'hello');
    FakeWebSocket.last.serverClose(1006);
    clock.next();
    await flush();
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive({ t: 'ready', cid: 'c2', dedupe: { windowMs: 60_000, maxEntries: 10 } });
    await flush();
    const hello2 = FakeWebSocket.last.sent.find((m) => m.t === 'hello');
    const again = FakeWebSocket.last.sent.find((m) => m.t === 'call');
    expect(again).toMatchObject({ kind: 'mutation', path: 'm', seq: first?.seq });
    expect(first?.seq).toBe(1);
    // Same session on both links; the second hello tells the highest seq already written.
    expect(hello2?.sid).toBe(hello1?.sid);
    expect([hello1?.seq, hello2?.seq]).toEqual([0, 1]);
    FakeWebSocket.last.receive({ t: 'result', id: again?.id, data: { json: 7 } });
    expect(await mutation).toBe(7);
    await client.close();
  });

  it('a 1009 close fails the calls in flight with PAYLOAD_TOO_LARGE, not retryable, and re-sends none of them', async () => {
    const { client } = makeClient({ keepAlive: false, retryQueries: 3 });
    await flush();
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive({ t: 'ready', cid: 'c1', dedupe: { windowMs: 60_000, maxEntries: 10 } });
    const query = errorOf(client.q.query());
    const mutation = errorOf(client.m.mutate());
    await flush();
    FakeWebSocket.last.serverClose(CloseCode.MESSAGE_TOO_BIG, 'Max payload size exceeded');
    for (const error of [await query, await mutation]) {
      expect(error?.code).toBe('PAYLOAD_TOO_LARGE');
      expect(error?.retryable).toBe(false);
      expect(error?.message).toContain('1009');
    }
    await client.close();
  });

  it('answers an auth refusal with exactly one refresh (fresh connectionParams), never a loop; the next call reconnects', async () => {
    let n = 0;
    const { client } = makeClient({ keepAlive: false, connectionParams: async () => ({ token: `t${++n}` }) });
    await flush();
    FakeWebSocket.last.open();
    const call = errorOf(client.q.query());
    await flush();
    FakeWebSocket.last.serverClose(CloseCode.UNAUTHORIZED, 'token expired');
    await flush();
    // One attempt at once, without a backoff timer, with the params evaluated again.
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(clock.pending).toBe(0);
    FakeWebSocket.last.open();
    await flush();
    expect(FakeWebSocket.last.sent.find((m) => m.t === 'hello')?.params).toEqual({ token: 't2' });
    FakeWebSocket.last.serverClose(CloseCode.UNAUTHORIZED, 'bad token');
    expect((await call)?.code).toBe('UNAUTHORIZED');
    expect(client.state).toBe('closed');
    expect(clock.pending).toBe(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
    void errorOf(client.q.query());
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(3);
    await client.close();
  });

  it('a refreshed token that the server accepts lets the pending call through', async () => {
    let n = 0;
    const { client } = makeClient({ keepAlive: false, connectionParams: () => ({ token: `t${++n}` }) });
    await flush();
    FakeWebSocket.last.open();
    const call = client.q.query();
    await flush();
    FakeWebSocket.last.serverClose(CloseCode.UNAUTHORIZED, 'token expired');
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    const sent = FakeWebSocket.last.sent.find((m) => m.t === 'call');
    FakeWebSocket.last.receive({ t: 'result', id: sent?.id, data: { json: 5 } });
    expect(await call).toBe(5);
    await client.close();
  });

  it('gives up after maxAttempts and fails what is queued', async () => {
    const { client } = makeClient({ keepAlive: false, reconnect: { maxAttempts: 2 } });
    await flush();
    const call = errorOf(client.q.query());
    for (let i = 0; i < 3; i++) {
      FakeWebSocket.last.serverClose(1006);
      clock.next();
      await flush();
    }
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect((await call)?.code).toBe('SERVICE_UNAVAILABLE');
    expect(client.state).toBe('closed');
    expect(clock.pending).toBe(0);
    await client.close();
  });
});

describe('close() in every state settles everything and leaves no timer', () => {
  it('while connectionParams are pending', async () => {
    let release!: (value: Record<string, unknown>) => void;
    const { client } = makeClient({ connectionParams: () => new Promise((resolve) => (release = resolve)) });
    const call = errorOf(client.q.query());
    await client.close();
    release({});
    await flush();
    expect((await call)?.code).toBe('CANCELLED');
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(client.state).toBe('closed');
    expect(clock.pending).toBe(0);
  });

  it('while the socket is opening', async () => {
    const { client } = makeClient();
    await flush();
    const completed: string[] = [];
    client.s.subscribe(undefined, { onComplete: () => completed.push('done') });
    const closing = client.close();
    FakeWebSocket.last.serverClose(1000);
    await closing;
    expect(completed).toEqual(['done']);
    expect(FakeWebSocket.last.endedBy).toMatchObject({ how: 'close', code: 1000 });
    expect(clock.pending).toBe(0);
  });

  it('while a reconnect attempt is opening: no close event for that attempt, onComplete comes last', async () => {
    const { client } = makeClient();
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    const events: Array<number | 'done'> = [];
    client.on('close', ({ code }) => events.push(code));
    client.s.subscribe(undefined, { onComplete: () => events.push('done') });
    await flush();
    FakeWebSocket.last.serverClose(1006);
    expect(clock.next()).toBe(true); // the backoff timer: the next attempt is opening
    await flush();
    const closing = client.close();
    FakeWebSocket.last.serverClose(1006); // the attempt fails as the client closes
    await closing;
    expect(events).toEqual([1006, 'done']);
  });

  it('while open, with a call and a subscription live', async () => {
    const { client } = makeClient();
    await flush();
    ready(FakeWebSocket.last);
    const call = errorOf(client.q.query());
    const completed: string[] = [];
    client.s.subscribe(undefined, { onComplete: () => completed.push('done') });
    await flush();
    const closing = client.close();
    expect((await call)?.code).toBe('CANCELLED');
    expect(completed).toEqual(['done']);
    FakeWebSocket.last.serverClose(1000);
    await closing;
    expect(client.state).toBe('closed');
    expect(clock.pending).toBe(0);
  });

  it('while waiting out the backoff', async () => {
    const { client } = makeClient();
    await flush();
    ready(FakeWebSocket.last);
    FakeWebSocket.last.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(clock.pending).toBe(1);
    await client.close();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('cuts a socket whose closing handshake never finishes', async () => {
    const { client } = makeClient();
    await flush();
    ready(FakeWebSocket.last);
    FakeWebSocket.last.answersClose = false;
    const closing = client.close();
    clock.advance(1_000);
    await closing;
    expect(FakeWebSocket.last.endedBy).toEqual({ how: 'terminate' });
    expect(clock.pending).toBe(0);
  });
});

describe('heartbeat', () => {
  it('pings a silent link and terminates it with 4000 when nothing answers', async () => {
    const { client } = makeClient({ keepAlive: { intervalMs: 1_000, pongTimeoutMs: 500 } });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    await flush();
    const socket = FakeWebSocket.last;
    ready(socket);
    clock.advance(999);
    await flush();
    expect(socket.sent.filter((m) => m.t === 'ping')).toHaveLength(0);
    clock.advance(1);
    await flush();
    expect(socket.sent.filter((m) => m.t === 'ping')).toHaveLength(1);
    socket.receive({ t: 'pong' });
    clock.advance(500);
    expect(client.state).toBe('open');
    clock.advance(499); // silent since the pong at t=1000: the second ping goes at t=2000
    await flush();
    expect(socket.sent.filter((m) => m.t === 'ping')).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(socket.sent.filter((m) => m.t === 'ping')).toHaveLength(2);
    clock.advance(499);
    expect(client.state).toBe('open');
    clock.advance(1);
    expect(socket.endedBy).toEqual({ how: 'terminate' });
    expect(closes).toEqual([CloseCode.HEARTBEAT_TIMEOUT]);
    expect(client.state).toBe('reconnecting');
    await client.close();
    expect(clock.pending).toBe(0);
  });

  it('with the defaults, replaces a half-open link within 10 s of the last message', async () => {
    const { client } = makeClient({ random: () => 0.999 });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    await flush();
    ready(FakeWebSocket.last);
    clock.advance(7_999); // 5 s of silence, a ping, then 3 s without an answer
    expect(closes).toEqual([]);
    clock.advance(1);
    expect(closes).toEqual([CloseCode.HEARTBEAT_TIMEOUT]);
    clock.advance(199); // the first reconnect delay is below minDelayMs (200 ms)
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2);
    ready(FakeWebSocket.last);
    expect(client.state).toBe('open');
    expect(clock.now()).toBeLessThan(10_000);
    await client.close();
  });

  it('does not ping while messages keep arriving', async () => {
    const { client } = makeClient({ keepAlive: { intervalMs: 1_000, pongTimeoutMs: 500 } });
    await flush();
    const socket = FakeWebSocket.last;
    ready(socket);
    for (let i = 0; i < 10; i++) {
      clock.advance(600);
      socket.receive({ t: 'data', id: 99 });
    }
    await flush();
    expect(socket.sent.filter((m) => m.t === 'ping')).toHaveLength(0);
    expect(client.state).toBe('open');
    await client.close();
  });

  it('abandons an opening handshake that never completes', async () => {
    const { client } = makeClient({ keepAlive: { intervalMs: 1_000, pongTimeoutMs: 500 } });
    await flush();
    clock.advance(1_500);
    expect(FakeWebSocket.last.endedBy).toEqual({ how: 'terminate' });
    expect(client.state).toBe('reconnecting');
    await client.close();
  });
});

describe('goaway', () => {
  it('opens a new socket beside the draining one, moves subscriptions, closes the old one once its calls settle', async () => {
    const { client, states } = makeClient({ keepAlive: false, reconnect: { minDelayMs: 100 } });
    await flush();
    const old = FakeWebSocket.last;
    ready(old);
    const seen: number[] = [];
    client.s.subscribe(undefined, { onData: (n) => seen.push(n) });
    const inFlight = client.q.query();
    await flush();
    old.receive({ t: 'data', id: 1, data: { json: 10 }, eid: 'e10' });
    old.receive({ t: 'goaway', reason: 'deploy' });
    const later = client.q.query();
    await flush();
    expect(old.sent.filter((m) => m.t === 'call')).toHaveLength(1); // new work waits for the new socket
    expect(clock.delays[clock.delays.length - 1]).toBe(50); // jittered within minDelayMs
    clock.next();
    await flush();
    const fresh = FakeWebSocket.last;
    expect(fresh).not.toBe(old);
    old.receive({ t: 'data', id: 1, data: { json: 11 }, eid: 'e11' }); // the old socket still serves
    ready(fresh);
    await flush();
    expect(fresh.sent.find((m) => m.t === 'sub')).toMatchObject({ path: 's', lastEventId: 'e11' });
    expect(old.sent.filter((m) => m.t === 'cancel').map((m) => m.id)).toEqual([1]);
    old.receive({ t: 'data', id: 1, data: { json: 12 }, eid: 'e12' }); // dropped: the new link resumes after e11
    const call = fresh.sent.find((m) => m.t === 'call');
    fresh.receive({ t: 'result', id: call?.id, data: { json: 2 } });
    expect(await later).toBe(2);
    expect(old.endedBy).toBeUndefined(); // its call is still running
    old.receive({ t: 'result', id: 2, data: { json: 1 } });
    expect(await inFlight).toBe(1);
    expect(old.endedBy).toMatchObject({ how: 'close', code: 1000 });
    expect(seen).toEqual([10, 11]);
    expect(states).toEqual(['open']); // never 'reconnecting': a socket served throughout
    await client.close();
    expect(clock.pending).toBe(0);
  });

  it('fails the calls of a draining socket that closes before the new one is ready (retryable)', async () => {
    const { client, states } = makeClient({ keepAlive: false, reconnect: { minDelayMs: 100 } });
    await flush();
    const old = FakeWebSocket.last;
    ready(old);
    client.s.subscribe(undefined, {});
    const inFlight = errorOf(client.q.query());
    await flush();
    old.receive({ t: 'data', id: 1, data: { json: 1 }, eid: 'e1' }, { t: 'goaway' });
    old.serverClose(1001, 'server shutting down');
    expect((await inFlight)?.code).toBe('SERVICE_UNAVAILABLE');
    expect(client.state).toBe('reconnecting');
    clock.next();
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    expect(FakeWebSocket.last.sent.find((m) => m.t === 'sub')).toMatchObject({ lastEventId: 'e1' });
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    await client.close();
  });

  it('reconnects after a 1001 close without growing the backoff', async () => {
    const { client } = makeClient({ keepAlive: false, reconnect: { minDelayMs: 100, maxDelayMs: 10_000 } });
    await flush();
    ready(FakeWebSocket.last);
    for (let i = 0; i < 3; i++) {
      FakeWebSocket.last.serverClose(1001, 'server shutting down');
      clock.next();
      await flush();
      ready(FakeWebSocket.last);
    }
    expect(clock.delays).toEqual([50, 50, 50]);
    await client.close();
  });
});

describe('lazy mode', () => {
  it('connects on the first call and closes after idleMs with nothing live', async () => {
    const { client, states } = makeClient({ lazy: { idleMs: 1_000 }, keepAlive: false });
    await flush();
    expect(client.state).toBe('closed');
    expect(FakeWebSocket.instances).toHaveLength(0);
    const result = client.q.query();
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    FakeWebSocket.last.receive({ t: 'result', id: 1, data: { json: 5 } });
    expect(await result).toBe(5);
    clock.advance(999);
    expect(client.state).toBe('open');
    clock.advance(1);
    expect(FakeWebSocket.last.endedBy).toMatchObject({ how: 'close', code: 1000 });
    expect(states).toEqual(['connecting', 'open', 'closed']);
    expect(clock.pending).toBe(0);
    await client.close();
  });

  it('never idle-closes while a subscription is live, and reconnects it after a drop', async () => {
    const { client } = makeClient({ lazy: { idleMs: 1_000 }, keepAlive: false });
    const sub = client.s.subscribe(undefined, {});
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    FakeWebSocket.last.receive({ t: 'data', id: 1, data: { json: 1 }, eid: 'a' });
    clock.advance(5_000);
    expect(FakeWebSocket.last.endedBy).toBeUndefined();
    FakeWebSocket.last.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    clock.next();
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    expect(FakeWebSocket.last.sent.find((m) => m.t === 'sub')).toMatchObject({ lastEventId: 'a' });
    sub.unsubscribe();
    clock.advance(1_000);
    expect(FakeWebSocket.last.endedBy).toMatchObject({ how: 'close' });
    expect(client.state).toBe('closed');
    // A drop with nothing live does not reconnect in lazy mode.
    expect(clock.pending).toBe(0);
    await client.close();
  });
});

describe('browser wake hints', () => {
  const scope = globalThis as { window?: EventTarget; document?: EventTarget & { visibilityState?: string } };
  afterEach(() => {
    delete scope.window;
    delete scope.document;
  });

  it('reconnects at once on `online`, checks the link when visible, removes its listeners on close', async () => {
    scope.window = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    scope.document = doc;
    const { client } = makeClient({ keepAlive: { intervalMs: 60_000, pongTimeoutMs: 1_000 }, reconnect: { minDelayMs: 30_000, maxDelayMs: 30_000 } });
    await flush();
    ready(FakeWebSocket.last);
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    await flush();
    expect(FakeWebSocket.last.sent.filter((m) => m.t === 'ping')).toHaveLength(1);
    FakeWebSocket.last.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    scope.window.dispatchEvent(new Event('online'));
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2);
    await client.close();
    scope.window.dispatchEvent(new Event('online'));
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});

describe('binary frames', () => {
  /** A `result` for `id` as a server sends it: a binary frame when `value` holds bytes. */
  function resultFrame(id: number, value: unknown): Uint8Array<ArrayBuffer> {
    const attachments = new Attachments();
    const data = superjsonCodec.encode(value, attachments);
    return encodeBinaryFrame(JSON.stringify({ t: 'result', id, data }), attachments.take() ?? []);
  }

  it('asks for ArrayBuffer and sends an input holding bytes as one binary frame', async () => {
    const { client } = makeClient({ binary });
    await flush();
    const socket = FakeWebSocket.last;
    expect(socket.binaryType).toBe('arraybuffer');
    ready(socket);
    const call = client.bytes.query(new Uint8Array([1, 2, 3]));
    await flush();
    expect(socket.frames.map((frame) => typeof frame)).toEqual(['string', 'object']);
    const sent = socket.sent[1];
    expect(sent).toMatchObject({ t: 'call', path: 'bytes', input: { json: [0, 3] }, binary: new Uint8Array([1, 2, 3]) });
    socket.receiveData(resultFrame(sent?.id as number, new Uint8Array([4, 5])).buffer);
    await expect(call).resolves.toEqual(new Uint8Array([4, 5]));
    await client.close();
  });

  it('reads binary frames given as ArrayBuffer, Buffer views and Blobs, in order', async () => {
    const { client } = makeClient({ binary });
    await flush();
    const socket = FakeWebSocket.last;
    ready(socket);
    const calls = [1, 2, 3, 4].map((n) => client.bytes.query(new Uint8Array([n])));
    await flush();
    const ids = socket.sent.filter((m) => m.t === 'call').map((m) => m.id as number);
    const order: number[] = [];
    calls.forEach((call, i) => void call.then(() => order.push(i)));
    const asBuffer = resultFrame(ids[1] as number, new Uint8Array([20]));
    const padded = Buffer.alloc(asBuffer.byteLength + 7);
    padded.set(asBuffer, 7);
    socket.receiveData(new Blob([resultFrame(ids[0] as number, new Uint8Array([10]))]));
    socket.receiveData(padded.subarray(7));
    socket.receiveData(resultFrame(ids[2] as number, new Uint8Array([30])).buffer);
    socket.receive({ t: 'result', id: ids[3], data: { json: 'text' } });
    expect(await Promise.all(calls)).toEqual([new Uint8Array([10]), new Uint8Array([20]), new Uint8Array([30]), 'text']);
    // The Blob had to be read asynchronously; nothing behind it overtook it.
    expect(order).toEqual([0, 1, 2, 3]);
    await client.close();
  });

  it('without `binary`: bytes fail with NOT_IMPLEMENTED naming the import, sent or received, and the client stays usable', async () => {
    const { client } = makeClient();
    await flush();
    const socket = FakeWebSocket.last;
    ready(socket);
    const refused = await errorOf(client.bytes.query(new Uint8Array([1, 2])));
    expect(refused).toBeInstanceOf(DuplexError);
    expect(refused).toMatchObject({ code: 'NOT_IMPLEMENTED', retryable: false });
    expect(refused?.message).toContain("import { binary } from '@duplex/client/binary'");
    const received = client.q.query();
    const events: unknown[] = [];
    let subError: DuplexError | undefined;
    client.files.subscribe(undefined, { onData: (value) => events.push(value), onError: (error) => (subError = error) });
    await flush();
    // Only text frames left the client: the refused call was never sent.
    expect(socket.frames.every((frame) => typeof frame === 'string')).toBe(true);
    expect(socket.sent.filter((m) => m.t === 'call').map((m) => m.path)).toEqual(['q']);
    const callId = socket.sent.find((m) => m.t === 'call')?.id as number;
    const subId = socket.sent.find((m) => m.t === 'sub')?.id as number;
    socket.receiveData(resultFrame(callId, { file: new Uint8Array([4]) }).buffer);
    const data = superjsonCodec.encode(new Uint8Array([5]), new Attachments());
    socket.receiveData(encodeBinaryFrame(JSON.stringify({ t: 'data', id: subId, data }), [new Uint8Array([5])]).buffer);
    expect(await errorOf(received)).toMatchObject({ code: 'NOT_IMPLEMENTED' });
    await vi.waitFor(() => expect(subError?.code).toBe('NOT_IMPLEMENTED'));
    expect(events).toEqual([]);
    // The subscription was ended on the server too, and text keeps working.
    expect(socket.sent.at(-1)).toEqual({ t: 'cancel', id: subId });
    const next = client.q.query();
    await flush();
    socket.receive({ t: 'result', id: socket.sent.at(-1)?.id, data: { json: 1 } });
    await expect(next).resolves.toBe(1);
    await client.close();
  });
});
