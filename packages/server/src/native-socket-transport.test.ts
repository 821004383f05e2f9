import { CloseCode } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { createFakeClock } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { ConnectionHub } from './connection-hub.js';
import { type NativeSocket, NativeSocketTransport } from './native-socket-transport.js';

/** A runtime socket that records what the transport did to it. */
interface FakeSocket extends NativeSocket {
  buffered: number;
  sent: Array<string | Uint8Array>;
  closes: Array<[number, string]>;
  pings: number;
  terminated: number;
}

function fakeSocket(): FakeSocket {
  const socket: FakeSocket = {
    buffered: 0,
    sent: [] as Array<string | Uint8Array>,
    closes: [] as Array<[number, string]>,
    pings: 0,
    terminated: 0,
    send(frame: string | Uint8Array) {
      socket.sent.push(frame);
      socket.buffered += typeof frame === 'string' ? frame.length : frame.byteLength;
    },
    close(code: number, reason: string) {
      socket.closes.push([code, reason]);
    },
    terminate() {
      socket.terminated++;
    },
    ping() {
      socket.pings++;
    },
    bufferedAmount: () => socket.buffered,
  };
  return socket;
}

const limits = { highWaterMarkBytes: 100, maxBufferedBytes: 1_000 };

describe('NativeSocketTransport', () => {
  it('parks writers above the high-water mark until the runtime reports the buffer drained', async () => {
    const clock = createFakeClock();
    const socket = fakeSocket();
    const transport = new NativeSocketTransport(socket, { clock, ...limits });
    transport.send('x'.repeat(50));
    expect(transport.whenWritable()).toBeUndefined();
    transport.send('x'.repeat(100));
    const parked = transport.whenWritable();
    expect(parked).toBeInstanceOf(Promise);
    expect(transport.whenWritable()).toBe(parked);
    socket.buffered = 0;
    transport.release();
    await parked;
    expect(transport.whenWritable()).toBeUndefined();
  });

  it('re-reads bufferedAmount on the clock where the runtime has no drain event (Deno)', async () => {
    const clock = createFakeClock();
    const socket = fakeSocket();
    const transport = new NativeSocketTransport(socket, { clock, ...limits, drainPollMs: 10 });
    transport.send('x'.repeat(200));
    let woke = false;
    const parked = transport.whenWritable()?.then(() => (woke = true));
    clock.advance(10);
    await Promise.resolve();
    expect(woke).toBe(false);
    socket.buffered = 50;
    clock.advance(10);
    await parked;
    expect(woke).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('cuts a slow consumer with 1008 once, reports it, and terminates it after the grace period', () => {
    const clock = createFakeClock();
    const socket = fakeSocket();
    const cut: unknown[] = [];
    const transport = new NativeSocketTransport(socket, { clock, ...limits, onSlowConsumer: (t) => cut.push(t) });
    transport.send('x'.repeat(1_001));
    transport.send('x');
    expect(cut).toEqual([transport]);
    expect(socket.closes).toEqual([[CloseCode.POLICY_VIOLATION, 'slow consumer: too many bytes pending']]);
    expect(transport.whenWritable()).toBeUndefined();
    clock.advance(1_000);
    expect(socket.terminated).toBe(1);
  });

  it('whenClosed resolves on the close event, or terminates after CLOSE_GRACE_MS', async () => {
    const clock = createFakeClock();
    const socket = fakeSocket();
    const transport = new NativeSocketTransport(socket, { clock, ...limits });
    const first = transport.whenClosed();
    clock.advance(1_000);
    await first;
    expect(socket.terminated).toBe(1);
    const other = new NativeSocketTransport(fakeSocket(), { clock, ...limits });
    const second = other.whenClosed();
    other.markClosed();
    await second;
    expect(clock.pending).toBe(0);
    await other.whenClosed();
  });
});

describe('ConnectionHub keep-alive on a native socket', () => {
  const d = initDuplex.create();
  const router = d.router({ ping: d.procedure.query(() => 'pong') });

  it('pings a quiet socket, keeps it when it answers, terminates it when it does not', () => {
    const clock = createFakeClock();
    const hub = new ConnectionHub<NativeSocketTransport, Request>({ router, clock, keepAlive: { intervalMs: 100, pongTimeoutMs: 50 }, helloTimeoutMs: 1e9 });
    const socket = fakeSocket();
    const transport = new NativeSocketTransport(socket, { clock, ...limits });
    hub.open(transport, transport, new Request('http://x/'), '127.0.0.1');
    clock.advance(100); // heard at open: marked quiet
    clock.advance(100);
    expect(socket.pings).toBe(1);
    hub.pong(transport);
    clock.advance(50);
    expect(socket.terminated).toBe(0);
    clock.advance(150);
    expect(socket.pings).toBe(2);
    clock.advance(50);
    expect(socket.terminated).toBe(1);
    hub.closed(transport);
    expect(hub.stats().connections).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
