/**
 * Time bounds on the handshake (`verifyUpgrade`, `hello` + `createContext`) and the opt-in idle
 * timeout, over real sockets with the server's timers on a fake clock.
 */
import { CloseCode, type DuplexError } from '@duplex/core';
import { createFakeClock, deferred, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { IdleSweeper } from '../src/idle-sweeper.js';
import { router, type TestRouter } from './fixtures.js';
import { openRaw, upgradeOutcome } from './raw-socket.js';

const anon = { createContext: () => ({ user: null }) };

describe('handshake time bounds', () => {
  it('closes with 4408 when createContext does not settle within helloTimeoutMs, and reports TIMEOUT', async () => {
    const clock = createFakeClock();
    const called = deferred();
    const onError = vi.fn<(event: { error: DuplexError }) => void>();
    await using srv = await startServer(router, {
      clock,
      helloTimeoutMs: 5_000,
      onError,
      createContext: () => {
        called.resolve();
        return new Promise<never>(() => {});
      },
    });
    const raw = await openRaw(srv.url);
    raw.send([
      { t: 'hello', v: 1, codec: 'json' },
      { t: 'call', id: 1, kind: 'query', path: 'add', input: { a: 1, b: 2 } },
    ]);
    await called.promise;
    clock.advance(4_999);
    expect(srv.server.stats().connections).toBe(1);
    clock.advance(1);
    expect(await raw.closed).toEqual({ code: CloseCode.HELLO_TIMEOUT, reason: 'createContext did not settle in time' });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0].error.code).toBe('TIMEOUT');
    await expect.poll(() => srv.server.stats()).toMatchObject({ connections: 0, calls: 0 });
  });

  it('refuses an upgrade with HTTP 503 when verifyUpgrade does not settle within helloTimeoutMs', async () => {
    const clock = createFakeClock();
    const called = deferred();
    await using srv = await startServer(router, {
      ...anon,
      clock,
      helloTimeoutMs: 2_000,
      verifyUpgrade: () => {
        called.resolve();
        return new Promise<boolean>(() => {});
      },
    });
    const outcome = upgradeOutcome(srv.url);
    await called.promise;
    clock.advance(2_000);
    expect(await outcome).toEqual({ status: 503, body: 'upgrade verification timed out\n' });
    expect(clock.pending).toBe(0);
  });

  it('keeps no timer for a verifyUpgrade that answers in time', async () => {
    const clock = createFakeClock();
    await using srv = await startServer(router, { ...anon, clock, keepAlive: false, verifyUpgrade: async () => true });
    const raw = await openRaw(srv.url);
    await raw.hello();
    expect(clock.pending).toBe(0);
    raw.close();
  });
});

describe('idle timeout (opt-in)', () => {
  it('closes a connection with nothing running and nothing started for idleTimeoutMs with 4001', async () => {
    const clock = createFakeClock();
    await using srv = await startServer(router, { ...anon, clock, keepAlive: false, idleTimeoutMs: 1_000 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    clock.advance(750);
    // A call resets the count: the connection now lives until 1,000–1,250 ms after it.
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'add', input: { a: 1, b: 2 } });
    expect(await raw.until((m) => m.id === 1)).toMatchObject({ t: 'result', data: 3 });
    clock.advance(1_000);
    expect(srv.server.stats().connections).toBe(1);
    clock.advance(250);
    expect(await raw.closed).toEqual({ code: CloseCode.IDLE_TIMEOUT, reason: 'idle timeout' });
    await expect.poll(() => srv.server.stats().connections).toBe(0);
  });

  it('never closes a connection that holds a subscription', async () => {
    const clock = createFakeClock();
    await using srv = await startServer(router, { ...anon, clock, keepAlive: false, idleTimeoutMs: 1_000 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'sub', id: 1, path: 'idle' });
    await expect.poll(() => srv.server.stats().subscriptions).toBe(1);
    clock.advance(10_000);
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'add', input: { a: 2, b: 2 } });
    expect(await raw.until((m) => m.id === 2)).toMatchObject({ t: 'result', data: 4 });
    expect(srv.server.stats().connections).toBe(1);
    raw.close();
  });

  it('the client parks after an idle close and reconnects on its next call, not before', async () => {
    const clock = createFakeClock();
    await using srv = await startServer(router, { ...anon, clock, keepAlive: false, idleTimeoutMs: 1_000 });
    const client = srv.client<TestRouter>({ keepAlive: false });
    expect(await client.add.query({ a: 1, b: 1 })).toBe(2);
    const closed = new Promise((resolve) => client.on('close', resolve));
    clock.advance(1_250);
    expect(await closed).toEqual({ code: CloseCode.IDLE_TIMEOUT, reason: 'idle timeout' });
    await waitForState(client, 'closed');
    await expect.poll(() => srv.server.stats().connections).toBe(0);
    expect(client.state).toBe('closed');
    expect(await client.add.query({ a: 2, b: 3 })).toBe(5);
    expect(srv.server.stats().connections).toBe(1);
  });
});

describe('IdleSweeper', () => {
  it('uses one timer for all connections and stops when none is left', () => {
    const clock = createFakeClock();
    const closed: string[] = [];
    const peer = (name: string, started = 0) => ({ name, stats: { calls: 0, subscriptions: 0 }, requestsStarted: started });
    const sweeper = new IdleSweeper<ReturnType<typeof peer>>({ clock, idleTimeoutMs: 400, onIdle: (p) => closed.push(p.name) });
    const a = peer('a');
    const b = peer('b');
    sweeper.add(a);
    sweeper.add(b);
    expect(clock.pending).toBe(1);
    clock.advance(300);
    b.requestsStarted++;
    clock.advance(100);
    expect(closed).toEqual(['a']);
    clock.advance(400);
    expect(closed).toEqual(['a', 'b']);
    expect(sweeper.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
