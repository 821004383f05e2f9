import { createWsServer } from '@duplex/server';
import { waitForState } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, DEFAULT_RECONNECT } from '../src/index.js';
import { EventLog, eventually, type FaultRouter, makeRouter, recordingClock, seeded } from './fixtures.js';

const CLIENTS = 200;

describe('reconnect storm', () => {
  it('200 clients come back after a restart, spread by the jittered backoff, each resuming exactly once', { timeout: 60_000 }, async () => {
    const log = new EventLog();
    log.append(10);
    const first = createWsServer({ router: makeRouter(log) });
    const { port } = await first.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${port}`;
    const seed = seeded(7);
    const clients = Array.from({ length: CLIENTS }, () => {
      // Each client records the delays it asks its clock for; keepAlive is off so only backoff uses it.
      const clock = recordingClock();
      const received: number[] = [];
      const client = createClient<FaultRouter>({ url, WebSocket: WebSocket as never, clock, random: seed, keepAlive: false });
      client.feed.subscribe(undefined, { onData: (value) => received.push(value) });
      return { client, clock, received };
    });
    await Promise.all(clients.map(({ client }) => waitForState(client, 'open')));
    await eventually(() => expect(clients.every(({ received }) => received.length === 10)).toBe(true));
    expect(first.stats().subscriptions).toBe(CLIENTS);

    await first.close({ drainMs: 0 });
    const second = createWsServer({ router: makeRouter(log) });
    await second.listen({ port, host: '127.0.0.1' });
    await eventually(() => expect(second.stats()).toMatchObject({ connections: CLIENTS, calls: 0, subscriptions: CLIENTS }));
    log.append(1);
    await eventually(() => expect(clients.every(({ received }) => received.length === 11)).toBe(true));

    // Every client got events 0..10 exactly once, in order.
    for (const { received } of clients) expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The first reconnect delays are jittered over [0, minDelayMs): no 100 ms window holds more than
    // about half of the clients (tRPC and oRPC bring them all back in the same window).
    const firstDelays = clients.map(({ clock }) => clock.delays[0] ?? -1);
    expect(Math.min(...firstDelays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...firstDelays)).toBeLessThan(DEFAULT_RECONNECT.minDelayMs);
    const buckets = new Map<number, number>();
    for (const delay of firstDelays) buckets.set(Math.floor(delay / 100), (buckets.get(Math.floor(delay / 100)) ?? 0) + 1);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(CLIENTS * 0.6);
    expect(new Set(firstDelays).size).toBeGreaterThan(CLIENTS / 2);

    await Promise.all(clients.map(({ client }) => client.close()));
    expect(clients.every(({ client }) => client.state === 'closed')).toBe(true);
    await eventually(() => expect(second.stats().connections).toBe(0));
    await second.close();
    expect(log.running).toBe(0);
  });
});
