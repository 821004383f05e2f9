import { CloseCode, DuplexError } from '@duplex/core';
import { CLOSE_GRACE_MS, createWsServer } from '@duplex/server';
import { createFakeClock, deferred, startProxy, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient } from '../src/index.js';
import { collector, eventually, EventLog, type FaultRouter, makeRouter, range, slowHooks } from './fixtures.js';

const fast = { minDelayMs: 20, maxDelayMs: 100 };
const zero = { connections: 0, calls: 0, subscriptions: 0 };

/** Opens a raw socket and reports how the upgrade was refused. */
function refusal(url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'duplex.v1');
    socket.on('error', (error) => resolve(error.message));
    socket.on('open', () => {
      socket.terminate();
      resolve('accepted');
    });
  });
}

describe('graceful drain: server.close({ drainMs })', () => {
  it('refuses upgrades with 503, lets the call in flight finish, ends subscriptions, closes 1001', async () => {
    const log = new EventLog();
    log.append(5);
    const hooks = { slow: slowHooks() };
    const server = createWsServer({ router: makeRouter(log, hooks) });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${port}`;
    const client = createClient<FaultRouter>({ url, WebSocket: WebSocket as never, reconnect: fast });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    const events = collector(5);
    client.feed.subscribe(undefined, { onData: events.onData, onComplete: () => closes.push(-1) });
    await events.reached;
    const call = client.slow.query();
    const signal = await hooks.slow.started.promise;

    const closing = server.close({ drainMs: 60_000 });
    expect(await refusal(url)).toContain('503');
    hooks.slow.finish.resolve('finished');
    expect(await call).toBe('finished');
    await closing;

    expect(signal.aborted).toBe(false);
    expect(log.running).toBe(0); // the subscription's handler was ended (its finally ran)
    expect(server.stats()).toMatchObject(zero);
    // The subscription did not complete: it waits to resume on the next server (the client's
    // retries against the closed port may add 1006 closes after the first one).
    expect(closes).toContain(CloseCode.GOING_AWAY);
    expect(closes).not.toContain(-1);
    expect(client.state).toBe('reconnecting');
    await client.close();
    expect(closes[closes.length - 1]).toBe(-1);
  });

  it('cuts a call still running at drainMs: the handler is aborted, the caller gets SERVICE_UNAVAILABLE', async () => {
    const log = new EventLog();
    const hooks = { slow: slowHooks() };
    const server = createWsServer({ router: makeRouter(log, hooks) });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const client = createClient<FaultRouter>({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as never, reconnect: fast });
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    const call = client.slow.query().catch((error: unknown) => error as DuplexError);
    const signal = await hooks.slow.started.promise;
    await server.close({ drainMs: 20 });
    expect(signal.aborted).toBe(true);
    expect(closes).toContain(CloseCode.GOING_AWAY); // closed by the server, after the goaway
    const error = await call;
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe('SERVICE_UNAVAILABLE');
    expect((error as DuplexError).retryable).toBe(true);
    expect(server.stats()).toMatchObject(zero);
    await client.close();
  });

  it('terminates a socket that never answers the closing handshake (half-open client)', async () => {
    const clock = createFakeClock();
    const log = new EventLog();
    log.append(1);
    const server = createWsServer({ router: makeRouter(log), clock, keepAlive: false });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    await using proxy = await startProxy(port);
    const client = createClient<FaultRouter>({ url: proxy.url, WebSocket: WebSocket as never, reconnect: false, keepAlive: false });
    const events = collector(1);
    client.feed.subscribe(undefined, { onData: events.onData });
    await events.reached;
    proxy.stall();
    let closed = false;
    const closing = server.close({ drainMs: 0 }).then(() => (closed = true));
    // The close frame is stuck in the stalled link: only the grace timer can end this socket.
    await eventually(() => expect(clock.pending).toBe(1));
    expect(closed).toBe(false);
    clock.advance(CLOSE_GRACE_MS);
    await closing;
    expect(server.stats()).toMatchObject(zero);
    expect(log.running).toBe(0);
    proxy.cut(); // so the client's own close does not wait out its grace period on the stalled link
    await client.close();
    expect(client.state).toBe('closed');
  });

  it('a deploy: the old server drains, a new one takes the port, subscriptions continue with no lost event', async () => {
    const log = new EventLog();
    log.append(100);
    const first = createWsServer({ router: makeRouter(log) });
    const { port } = await first.listen({ port: 0, host: '127.0.0.1' });
    const client = createClient<FaultRouter>({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as never, reconnect: fast });
    const events = collector(300);
    client.feed.subscribe(undefined, { onData: events.onData });
    await eventually(() => expect(events.values).toHaveLength(100));
    const closing = first.close({ drainMs: 5_000 });
    log.append(100); // published during the drain
    await closing;
    const second = createWsServer({ router: makeRouter(log) });
    await second.listen({ port, host: '127.0.0.1' });
    log.append(100);
    await events.reached;
    expect(events.values).toEqual(range(300));
    await client.close();
    await second.close();
    expect(second.stats()).toMatchObject(zero);
    expect(log.running).toBe(0);
  });
});

describe('goaway behind a load balancer (make-before-break)', () => {
  it('new calls and the subscription move to the new server while the old one finishes its call', async () => {
    const log = new EventLog();
    log.append(10);
    const hooks = { slow: slowHooks() };
    const oldServer = createWsServer({ router: makeRouter(log, hooks) });
    const newServer = createWsServer({ router: makeRouter(log) });
    const { port: oldPort } = await oldServer.listen({ port: 0, host: '127.0.0.1' });
    const { port: newPort } = await newServer.listen({ port: 0, host: '127.0.0.1' });
    await using balancer = await startProxy(oldPort);
    const client = createClient<FaultRouter>({ url: balancer.url, WebSocket: WebSocket as never, reconnect: fast });
    const states: string[] = [];
    client.on('state', (state) => states.push(state));
    const events = collector(30);
    client.feed.subscribe(undefined, { onData: events.onData });
    await eventually(() => expect(events.values).toHaveLength(10));
    const slow = client.slow.query();
    await hooks.slow.started.promise;

    balancer.retarget(newPort); // the deploy: new connections go to the new server
    const draining = oldServer.close({ drainMs: 60_000 });
    await eventually(() => expect(newServer.stats()).toMatchObject({ connections: 1, subscriptions: 1 }));
    log.append(10);
    // A call made during the drain is served by the new server while the old one is still busy.
    expect(await client.echo.query('served by the new server')).toBe('served by the new server');
    await eventually(() => expect(events.values).toHaveLength(20));
    expect(oldServer.stats()).toMatchObject({ connections: 1, calls: 1, subscriptions: 0 });
    hooks.slow.finish.resolve('finished on the old server');
    expect(await slow).toBe('finished on the old server');
    await draining;
    log.append(10);
    await events.reached;
    expect(events.values).toEqual(range(30));
    expect(states).not.toContain('reconnecting');
    await client.close();
    await newServer.close({ drainMs: 0 });
    expect(newServer.stats()).toMatchObject(zero);
    expect(log.running).toBe(0);
  });
});

describe('deadlines end to end', () => {
  it('timeoutMs rejects with TIMEOUT and aborts the handler on the server', async () => {
    const hooks = { slow: slowHooks() };
    await using srv = await startServer(makeRouter(new EventLog(), hooks));
    const client = srv.client<FaultRouter>();
    // Calls leave once `ready` is in; the deadline is about the handler, not the handshake.
    await waitForState(client, 'open');
    const call = client.slow.query(undefined, { timeoutMs: 50 }).then(() => undefined, (error: unknown) => error as DuplexError);
    const signal = await hooks.slow.started.promise;
    const aborted = new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
    expect((await call)?.code).toBe('TIMEOUT');
    expect((await aborted as DuplexError).code).toMatch(/TIMEOUT|CANCELLED/);
    await eventually(() => expect(srv.server.stats().calls).toBe(0));
    await client.close();
  });
});

describe('lazy mode end to end', () => {
  it('connects on demand, idles out, and resumes a live subscription after a drop', async () => {
    const log = new EventLog();
    await using srv = await startServer(makeRouter(log));
    await using proxy = await startProxy(srv.port);
    const client = srv.client<FaultRouter>({ url: proxy.url, lazy: { idleMs: 20 }, reconnect: fast });
    expect(client.state).toBe('closed');
    expect(srv.server.stats().connections).toBe(0);
    expect(await client.echo.query('hi')).toBe('hi');
    await eventually(() => expect(client.state).toBe('closed'));
    await eventually(() => expect(srv.server.stats().connections).toBe(0));

    const events = collector(4);
    const sub = client.feed.subscribe(undefined, { onData: events.onData });
    log.append(2);
    await eventually(() => expect(events.values).toHaveLength(2));
    const dropped = deferred<number>();
    client.on('close', ({ code }) => dropped.resolve(code));
    proxy.cut();
    expect(await dropped.promise).toBe(1006);
    await waitForState(client, 'open');
    log.append(2);
    await events.reached;
    expect(events.values).toEqual(range(4));
    sub.unsubscribe();
    await eventually(() => expect(client.state).toBe('closed'));
    await eventually(() => expect(srv.server.stats()).toMatchObject(zero));
    expect(log.running).toBe(0);
    await client.close();
  });
});
