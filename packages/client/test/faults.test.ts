import { CloseCode, DuplexError } from '@duplex/core';
import { createWsServer, initDuplex } from '@duplex/server';
import { deferred, startProxy, startServer, waitForState } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient } from '../src/index.js';
import { collector, eventually, EventLog, type FaultRouter, makeRouter, range, slowHooks } from './fixtures.js';

/** Fast reconnects keep the suite quick; nothing below asserts on elapsed time. */
const fast = { minDelayMs: 20, maxDelayMs: 100 };

describe('faults over real sockets, through a TCP proxy', () => {
  it('a call in flight when the link drops fails with a retryable SERVICE_UNAVAILABLE; the handler is aborted', async () => {
    const log = new EventLog();
    const hooks = { slow: slowHooks() };
    await using srv = await startServer(makeRouter(log, hooks));
    await using proxy = await startProxy(srv.port);
    const client = srv.client<FaultRouter>({ url: proxy.url, reconnect: fast });
    const call = client.slow.query().catch((error: unknown) => error as DuplexError);
    const signal = await hooks.slow.started.promise;
    const aborted = new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    proxy.cut();
    const error = await call;
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe('SERVICE_UNAVAILABLE');
    expect((error as DuplexError).retryable).toBe(true);
    await aborted;
    await waitForState(client, 'open');
    expect(await client.echo.query('after')).toBe('after');
    await client.close();
    expect(client.state).toBe('closed');
    await eventually(() => expect(srv.server.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0 }));
  });

  it('1,000 tracked events arrive exactly once and in order across three cuts mid-subscription', async () => {
    const log = new EventLog();
    log.append(250);
    await using srv = await startServer(makeRouter(log));
    await using proxy = await startProxy(srv.port);
    const client = srv.client<FaultRouter>({ url: proxy.url, reconnect: fast });
    const cutsAt = new Set([250, 500, 750]);
    const closes: number[] = [];
    client.on('close', ({ code }) => closes.push(code));
    const events = collector(1_000);
    client.feed.subscribe(undefined, {
      onData: (value, meta) => {
        events.onData(value, meta);
        if (cutsAt.has(events.values.length)) {
          // Cut, then publish the next 250: the old handler may still push some of them into
          // the dead link before the server notices; the client must get them after resuming.
          proxy.cut();
          log.append(250);
        }
      },
    });
    await events.reached;
    expect(events.values).toEqual(range(1_000));
    expect(events.ids).toEqual(range(1_000).map(String));
    expect(closes).toHaveLength(3);
    await eventually(() => expect(srv.server.stats()).toMatchObject({ connections: 1, subscriptions: 1 }));
    await client.close();
    await eventually(() => expect(srv.server.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0 }));
    expect(log.running).toBe(0);
  });

  it('a half-open link is detected by the client heartbeat and replaced; the server terminates its end', async () => {
    const log = new EventLog();
    log.append(10);
    await using srv = await startServer(makeRouter(log), { keepAlive: { intervalMs: 50, pongTimeoutMs: 200 } });
    await using proxy = await startProxy(srv.port);
    const client = srv.client<FaultRouter>({ url: proxy.url, reconnect: fast, keepAlive: { intervalMs: 50, pongTimeoutMs: 100 } });
    // Resolved by the heartbeat's close only: a loaded machine may add unrelated reconnects.
    const heartbeatClose = deferred<number>();
    client.on('close', ({ code }) => code === CloseCode.HEARTBEAT_TIMEOUT && heartbeatClose.resolve(code));
    const events = collector(20);
    client.feed.subscribe(undefined, { onData: events.onData });
    await eventually(() => expect(events.values).toHaveLength(10));
    proxy.stall();
    log.append(10); // stuck in the stalled link
    expect(await heartbeatClose.promise).toBe(CloseCode.HEARTBEAT_TIMEOUT);
    await events.reached;
    expect(events.values).toEqual(range(20));
    // The server never saw the client go: only its own heartbeat can release the stalled socket.
    await eventually(() => expect(srv.server.stats()).toMatchObject({ connections: 1, calls: 0, subscriptions: 1 }));
    await client.close();
    await eventually(() => expect(srv.server.stats().connections).toBe(0));
  });

  it('a server killed and restarted on the same port: subscriptions resume with no lost or doubled event', async () => {
    const log = new EventLog();
    log.append(100);
    const first = createWsServer({ router: makeRouter(log) });
    const { port } = await first.listen({ port: 0, host: '127.0.0.1' });
    await using proxy = await startProxy(port);
    const client = createClient<FaultRouter>({ url: proxy.url, WebSocket: WebSocket as never, reconnect: fast });
    const events = collector(300);
    client.feed.subscribe(undefined, { onData: events.onData });
    await eventually(() => expect(events.values).toHaveLength(100));
    // Kill: the network drops every link at once and the process goes away.
    proxy.cut();
    await first.close({ drainMs: 0 });
    log.append(100); // written while no server runs
    const second = createWsServer({ router: makeRouter(log) });
    await second.listen({ port, host: '127.0.0.1' });
    await eventually(() => expect(events.values).toHaveLength(200));
    log.append(100);
    await events.reached;
    expect(events.values).toEqual(range(300));
    await client.close();
    await second.close({ drainMs: 0 });
    expect(second.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0 });
    expect(log.running).toBe(0);
  });

  it('a resume the source cannot serve ends with CONFLICT; the app reloads and follows again', async () => {
    const log = new EventLog();
    log.append(5);
    let trimmedBefore = 0;
    const d = initDuplex.create();
    const router = d.router({
      feed: d.procedure.subscription(({ signal, lastEventId }) => {
        if (lastEventId !== undefined && Number(lastEventId) < trimmedBefore - 1)
          throw new DuplexError({ code: 'CONFLICT', message: 'events after this id were trimmed' });
        return log.since(lastEventId, signal);
      }),
    });
    await using srv = await startServer(router);
    await using proxy = await startProxy(srv.port);
    const client = srv.client<typeof router>({ url: proxy.url, reconnect: fast });
    const conflict = deferred<DuplexError>();
    const first = collector(5);
    client.feed.subscribe(undefined, { onData: first.onData, onError: (error) => conflict.resolve(error) });
    await first.reached;
    trimmedBefore = 8; // the log drops events 5..7 while the client is away
    log.append(5);
    proxy.cut();
    const error = await conflict.promise;
    expect(error.code).toBe('CONFLICT');
    // Recovery: reload a snapshot, follow again without a cursor.
    const again = collector(10);
    client.feed.subscribe(undefined, { onData: again.onData });
    await again.reached;
    expect(again.values).toEqual(range(10));
    await client.close();
    await eventually(() => expect(srv.server.stats()).toMatchObject({ connections: 0, calls: 0, subscriptions: 0 }));
  });
});
