import type { Socket } from 'node:net';
import { CloseCode, systemClock } from '@duplex/core';
import { deferred, startServer } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { probe, router, type TestRouter } from './fixtures.js';
import { openRaw, type RawSocket, type Received, upgradeOutcome } from './raw-socket.js';

const anon = { createContext: () => ({ user: null }) };

function tcp(raw: RawSocket): Socket {
  return (raw.ws as unknown as { _socket: Socket })._socket;
}

describe('per-connection limits', () => {
  it('refuses calls past maxCallsInFlight with TOO_MANY_REQUESTS for that id only', async () => {
    await using srv = await startServer(router, { ...anon, maxCallsInFlight: 3 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    for (let id = 1; id <= 4; id++) raw.send({ t: 'call', id, kind: 'query', path: 'hang' });
    expect(await raw.until((m) => m.t === 'error')).toEqual({
      t: 'error',
      id: 4,
      error: { code: 'TOO_MANY_REQUESTS', message: 'this connection already has 3 calls in flight' },
    });
    expect(srv.server.stats().calls).toBe(3);
    raw.send({ t: 'cancel', id: 1 });
    raw.send({ t: 'call', id: 5, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await raw.until((m) => m.id === 5)).toEqual({ t: 'result', id: 5, data: 2 });
  });

  it('the typed client keeps a call past the stated maxCallsInFlight until a slot frees', async () => {
    await using srv = await startServer(router, { ...anon, maxCallsInFlight: 2 });
    const client = srv.client<TestRouter>();
    const controller = new AbortController();
    const hung = [client.hang.query(undefined, { signal: controller.signal }), client.hang.query(undefined, { signal: controller.signal })];
    let third: number | undefined;
    const pending = client.add.query({ a: 1, b: 1 }).then((value) => (third = value));
    await expect.poll(() => srv.server.stats().calls).toBe(2);
    expect(third).toBeUndefined();
    controller.abort();
    await Promise.allSettled(hung);
    await pending;
    expect(third).toBe(2);
    expect(await client.add.query({ a: 1, b: 1 })).toBe(2);
  });

  it('refuses subscriptions past maxSubscriptions', async () => {
    await using srv = await startServer(router, { ...anon, maxSubscriptions: 2 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    for (let id = 1; id <= 3; id++) raw.send({ t: 'sub', id, path: 'idle' });
    expect(await raw.until((m) => m.t === 'error')).toEqual({
      t: 'error',
      id: 3,
      error: { code: 'TOO_MANY_REQUESTS', message: 'this connection already has 2 subscriptions' },
    });
    expect(srv.server.stats().subscriptions).toBe(2);
    // Calls have their own budget.
    raw.send({ t: 'call', id: 4, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await raw.until((m) => m.id === 4)).toEqual({ t: 'result', id: 4, data: 2 });
  });

  it('bounds the calls held while createContext is pending, each kind by its own limit', async () => {
    const gate = deferred();
    await using srv = await startServer(router, {
      maxCallsInFlight: 3,
      maxSubscriptions: 1,
      createContext: async () => {
        await gate.promise;
        return { user: null };
      },
    });
    const raw = await openRaw(srv.url);
    raw.send({ t: 'hello', v: 1, codec: 'json' });
    for (let id = 1; id <= 4; id++) raw.send({ t: 'call', id, kind: 'query', path: 'add', input: { a: id, b: 0 } });
    raw.send({ t: 'sub', id: 5, path: 'idle' });
    raw.send({ t: 'sub', id: 6, path: 'idle' });
    const refused = [await raw.next(), await raw.next()];
    expect(refused.map((m) => [m.id, m.error?.code])).toEqual([
      [4, 'TOO_MANY_REQUESTS'],
      [6, 'TOO_MANY_REQUESTS'],
    ]);
    gate.resolve();
    expect(await raw.next()).toMatchObject({ t: 'ready' });
    const results = [await raw.next(), await raw.next(), await raw.next()];
    expect(results.map((m) => m.data)).toEqual([1, 2, 3]);
    expect(srv.server.stats()).toMatchObject({ calls: 0, subscriptions: 1 });
  });

  it('reports protocol and limit errors to onError', async () => {
    const seen: string[] = [];
    await using srv = await startServer(router, {
      ...anon,
      maxSubscriptions: 1,
      onError: ({ error, connectionId, path }) => seen.push(`${error.code}|${error.message}|${connectionId.length > 0}|${path}`),
    });
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send('nope');
    raw.send({ t: 'sub', id: 1, path: 'idle' });
    raw.send({ t: 'sub', id: 2, path: 'idle' });
    await raw.until((m) => m.id === 2);
    expect(seen).toEqual([
      'BAD_REQUEST|protocol error: frame is not valid JSON|true|undefined',
      'TOO_MANY_REQUESTS|this connection already has 1 subscriptions|true|undefined',
    ]);
  });

  it('limits requests per second with maxRequestsPerSecond, refilling with time', async () => {
    let now = 1_000_000;
    const clock = { ...systemClock, now: () => now };
    await using srv = await startServer(router, { ...anon, clock, maxRequestsPerSecond: 4 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    const batch = (first: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ t: 'call', id: first + i, kind: 'query', path: 'add', input: { a: first + i, b: 0 } }));
    raw.send(batch(1, 6));
    // Refusals are immediate, results follow: order the answers by id.
    const byId = (messages: Received[]) => messages.sort((x, y) => (x.id ?? 0) - (y.id ?? 0)).map((m) => (m.t === 'result' ? m.data : m.error?.message));
    const answers = await Promise.all(Array.from({ length: 6 }, () => raw.next()));
    const refused = 'more than 4 requests per second';
    expect(byId(answers)).toEqual([1, 2, 3, 4, refused, refused]);
    now += 500; // half a second refills two
    raw.send(batch(7, 3));
    const later = await Promise.all(Array.from({ length: 3 }, () => raw.next()));
    expect(byId(later)).toEqual([7, 8, refused]);
    raw.send({ t: 'ping' }); // never limited
    expect(await raw.next()).toEqual({ t: 'pong' });
  });

  it('applies maxJsonDepth', async () => {
    await using srv = await startServer(router, { ...anon, maxJsonDepth: 5 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'echo', input: [[[1]]] });
    expect(await raw.until((m) => m.id === 1)).toEqual({ t: 'result', id: 1, data: [[[1]]] });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'echo', input: [[[[[1]]]]] });
    expect((await raw.next()).error?.message).toBe('protocol error: JSON nested deeper than 5 levels');
  });
});

describe('connection caps', () => {
  it('refuses upgrades past maxConnections with 503 and admits again once one closes', async () => {
    await using srv = await startServer(router, { ...anon, maxConnections: 2 });
    const a = await openRaw(srv.url);
    const b = await openRaw(srv.url);
    expect(await upgradeOutcome(srv.url)).toEqual({ status: 503, body: 'too many connections\n' });
    a.close();
    await a.closed;
    await expect.poll(() => srv.server.stats().connections).toBe(1);
    const c = await openRaw(srv.url);
    await c.hello();
    b.close();
    c.close();
  });

  it('refuses upgrades past maxConnectionsPerIp with 503, other addresses unaffected', async () => {
    await using srv = await startServer(router, { ...anon, maxConnectionsPerIp: 1 });
    const first = await openRaw(srv.url);
    expect(await upgradeOutcome(srv.url)).toEqual({ status: 503, body: 'too many connections from this address\n' });
    // Linux routes all of 127.0.0.0/8 to loopback: a second source address is a second "IP".
    const other = await openRaw(srv.url, { localAddress: '127.0.0.2' });
    await other.hello();
    first.close();
    other.close();
  });
});

describe('slow consumers', () => {
  it('pauses subscriptions of a client that stops reading, with bounded server buffers, and resumes them', async () => {
    const highWaterMarkBytes = 256 * 1024;
    const eventBytes = 16 * 1024;
    await using srv = await startServer(router, { ...anon, highWaterMarkBytes });
    const observer = srv.client<TestRouter>();
    const raw = await openRaw(srv.url);
    await raw.hello();
    tcp(raw).pause();
    raw.send({ t: 'sub', id: 1, path: 'firehose', input: { size: eventBytes } });
    // Kernel buffers fill first, then the socket's own buffer passes the high-water mark.
    await vi.waitFor(() => expect(srv.server.stats().bufferedBytes).toBeGreaterThan(highWaterMarkBytes), { timeout: 10_000 });
    await observer.add.query({ a: 0, b: 0 });
    const pausedAt = probe.yielded;
    for (let i = 0; i < 5; i++) expect(await observer.add.query({ a: i, b: 1 })).toBe(i + 1);
    expect(probe.yielded).toBe(pausedAt);
    expect(srv.server.stats().bufferedBytes).toBeLessThan(highWaterMarkBytes + 4 * eventBytes);
    expect(srv.server.stats().subscriptions).toBe(1);

    tcp(raw).resume();
    await vi.waitFor(() => expect(probe.yielded).toBeGreaterThan(pausedAt + 50), { timeout: 10_000 });
    raw.ws.close(CloseCode.NORMAL);
    expect((await raw.closed).code).toBe(CloseCode.NORMAL);
    await expect.poll(() => srv.server.stats().subscriptions).toBe(0);
  });

  it('closes a client whose pending bytes pass maxBufferedBytes with 1008 and frees its buffer', async () => {
    const maxBufferedBytes = 1024 * 1024;
    const resultBytes = 512 * 1024;
    const reported: string[] = [];
    await using srv = await startServer(router, {
      ...anon,
      highWaterMarkBytes: 256 * 1024,
      maxBufferedBytes,
      onError: ({ error }) => reported.push(`${error.code}: ${error.message}`),
    });
    const observer = srv.client<TestRouter>();
    const raw = await openRaw(srv.url);
    await raw.hello();
    tcp(raw).pause();
    // Call results are not paused by backpressure: 32 MiB of them must trip the hard limit.
    for (let id = 1; id <= 64; id++) raw.send({ t: 'call', id, kind: 'query', path: 'blob', input: { bytes: resultBytes } });
    let peak = 0;
    await vi.waitFor(
      () => {
        const stats = srv.server.stats();
        peak = Math.max(peak, stats.bufferedBytes);
        expect(stats.connections).toBe(1); // only the observer is left
      },
      { timeout: 10_000, interval: 5 },
    );
    expect(peak).toBeLessThanOrEqual(maxBufferedBytes + resultBytes + 1024);
    expect(srv.server.stats()).toMatchObject({ calls: 0, bufferedBytes: 0 });
    expect(reported.filter((line) => line.includes('slow consumer'))).toEqual([
      'SERVICE_UNAVAILABLE: slow consumer: too many bytes pending, connection closed',
    ]);
    expect(await observer.add.query({ a: 1, b: 2 })).toBe(3);
    tcp(raw).resume();
    // The close frame sits behind the unread data; the server cuts the socket after a grace period.
    expect([CloseCode.POLICY_VIOLATION, 1006]).toContain((await raw.closed).code);
  });
});
