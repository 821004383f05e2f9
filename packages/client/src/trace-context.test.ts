import { initDuplex } from '@duplex/server';
import { createFakeClock, FakeWebSocket, type FakeClock } from '@duplex/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TraceContext } from '@duplex/core';
import { createClient } from './create-client.js';

const d = initDuplex.create();
const router = d.router({
  q: d.procedure.query(() => 1),
  s: d.procedure.subscription(async function* () {
    yield 1;
  }),
});

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const ready = (socket: FakeWebSocket) => {
  socket.open();
  socket.receive({ t: 'ready', cid: 'c1' });
};
const tp = (n: number) => `00-${'a'.repeat(32)}-${n.toString(16).padStart(16, '0')}-01`;

let clock: FakeClock;
beforeEach(() => {
  FakeWebSocket.reset();
  clock = createFakeClock();
});

describe('traceContext option', () => {
  it('reads the context when a call or subscription starts, and resends a subscription with its first context', async () => {
    let current: TraceContext | undefined = { traceparent: tp(1), tracestate: 'v=1' };
    const client = createClient<typeof router>({ url: 'ws://test', WebSocket: FakeWebSocket, clock, random: () => 0.5, traceContext: () => current });
    // Made before the socket is open: the context is the one current at the call, not at sending.
    const pending = client.q.query();
    const sub = client.s.subscribe(undefined, {});
    current = { traceparent: tp(2) };
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    const first = FakeWebSocket.last.sent;
    expect(first.find((m) => m.t === 'call')).toMatchObject({ tc: { tp: tp(1), ts: 'v=1' } });
    expect(first.find((m) => m.t === 'sub')).toMatchObject({ tc: { tp: tp(1), ts: 'v=1' } });
    FakeWebSocket.last.receive({ t: 'result', id: (first.find((m) => m.t === 'call') as { id: number }).id, data: { json: 1 } });
    expect(await pending).toBe(1);

    FakeWebSocket.last.serverClose(1006);
    expect(clock.next()).toBe(true); // the backoff timer
    await flush();
    ready(FakeWebSocket.last);
    await flush();
    expect(FakeWebSocket.last.sent.find((m) => m.t === 'sub')).toMatchObject({ tc: { tp: tp(1), ts: 'v=1' } });
    const later = client.q.query();
    await flush();
    expect(FakeWebSocket.last.sent.filter((m) => m.t === 'call').at(-1)).toMatchObject({ tc: { tp: tp(2) } });
    sub.unsubscribe();
    await client.close();
    await expect(later).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('sends no tc without the option, or when it returns undefined', async () => {
    const contexts: Array<TraceContext | undefined> = [undefined, undefined, { traceparent: tp(3), tracestate: '' }];
    const client = createClient<typeof router>({ url: 'ws://test', WebSocket: FakeWebSocket, clock, traceContext: () => contexts.shift() });
    const plain = createClient<typeof router>({ url: 'ws://test', WebSocket: FakeWebSocket, clock });
    await flush();
    for (const socket of FakeWebSocket.instances) ready(socket);
    const pending = [client.q.query(), client.q.query(), client.q.query(), plain.q.query()];
    await flush();
    const calls = FakeWebSocket.instances.flatMap((socket) => socket.sent.filter((m) => m.t === 'call'));
    expect(calls).toHaveLength(4);
    expect(calls.map((call) => call.tc)).toEqual([undefined, undefined, { tp: tp(3) }, undefined]);
    await client.close();
    await plain.close();
    for (const call of pending) await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
