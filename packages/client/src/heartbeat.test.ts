import { createFakeClock } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_KEEP_ALIVE, Heartbeat } from './heartbeat.js';

function setup() {
  const clock = createFakeClock();
  const events: string[] = [];
  const heartbeat = new Heartbeat({
    clock,
    intervalMs: 100,
    pongTimeoutMs: 50,
    ping: () => events.push(`ping@${clock.now()}`),
    onTimeout: () => events.push(`timeout@${clock.now()}`),
  });
  return { clock, events, heartbeat };
}

describe('Heartbeat (client)', () => {
  it('pings after intervalMs of silence and times out pongTimeoutMs later', () => {
    const { clock, events, heartbeat } = setup();
    heartbeat.start();
    clock.advance(150);
    expect(events).toEqual(['ping@100', 'timeout@150']);
    expect(clock.pending).toBe(0);
  });

  it('counts any message as an answer and measures silence from the last one', () => {
    const { clock, events, heartbeat } = setup();
    heartbeat.start();
    clock.advance(60);
    heartbeat.received();
    clock.advance(99);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['ping@160']);
    clock.advance(10);
    heartbeat.received();
    clock.advance(40);
    expect(events).toEqual(['ping@160']);
    heartbeat.stop();
    expect(clock.pending).toBe(0);
  });

  it('checkNow pings at once, once', () => {
    const { clock, events, heartbeat } = setup();
    heartbeat.start();
    heartbeat.checkNow();
    heartbeat.checkNow();
    expect(events).toEqual(['ping@0']);
    clock.advance(50);
    expect(events).toEqual(['ping@0', 'timeout@50']);
  });

  it('has defaults that detect a half-open link within 10 s', () => {
    expect(DEFAULT_CLIENT_KEEP_ALIVE.intervalMs + DEFAULT_CLIENT_KEEP_ALIVE.pongTimeoutMs).toBeLessThan(10_000);
  });
});
