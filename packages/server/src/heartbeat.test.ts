import { createFakeClock } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_KEEP_ALIVE, HeartbeatSweeper } from './heartbeat.js';

class FakeSocket {
  pings = 0;
  terminated = false;
  ping() {
    this.pings++;
  }
  terminate() {
    this.terminated = true;
  }
}

function setup() {
  const clock = createFakeClock();
  const sweeper = new HeartbeatSweeper<FakeSocket>({ clock, intervalMs: 100, pongTimeoutMs: 40 });
  return { clock, sweeper };
}

describe('HeartbeatSweeper (server)', () => {
  it('uses one timer for any number of sockets', () => {
    const { clock, sweeper } = setup();
    for (let i = 0; i < 1_000; i++) sweeper.add(new FakeSocket());
    expect(clock.pending).toBe(1);
  });

  it('pings quiet sockets, terminates the silent ones, spares the ones that answer', () => {
    const { clock, sweeper } = setup();
    const alive = new FakeSocket();
    const dead = new FakeSocket();
    sweeper.add(alive);
    sweeper.add(dead);
    clock.advance(100); // first sweep: both were just added (heard), nobody is pinged
    expect([alive.pings, dead.pings]).toEqual([0, 0]);
    clock.advance(100); // second sweep: both quiet since the last one → pinged
    expect([alive.pings, dead.pings]).toEqual([1, 1]);
    sweeper.seen(alive); // the pong
    clock.advance(39);
    expect(dead.terminated).toBe(false);
    clock.advance(1);
    expect(dead.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(sweeper.size).toBe(1);
  });

  it('does not ping a socket that keeps talking', () => {
    const { clock, sweeper } = setup();
    const busy = new FakeSocket();
    sweeper.add(busy);
    for (let i = 0; i < 20; i++) {
      clock.advance(50);
      sweeper.seen(busy);
    }
    expect(busy.pings).toBe(0);
    expect(busy.terminated).toBe(false);
  });

  it('detects a peer that went silent within 2 × intervalMs + pongTimeoutMs', () => {
    const { clock, sweeper } = setup();
    const socket = new FakeSocket();
    sweeper.add(socket);
    clock.advance(99);
    sweeper.seen(socket); // last sign of life just before a sweep
    clock.advance(2 * 100 + 40);
    expect(socket.terminated).toBe(true);
  });

  it('clears its timers when the last socket leaves or on stop()', () => {
    const { clock, sweeper } = setup();
    const a = new FakeSocket();
    sweeper.add(a);
    clock.advance(200);
    expect(clock.pending).toBe(2); // next sweep + the outstanding ping's deadline
    sweeper.delete(a);
    expect(clock.pending).toBe(0);
    sweeper.add(new FakeSocket());
    sweeper.stop();
    expect(clock.pending).toBe(0);
  });

  it('has documented defaults', () => {
    expect(DEFAULT_SERVER_KEEP_ALIVE).toEqual({ intervalMs: 10_000, pongTimeoutMs: 5_000 });
  });
});
