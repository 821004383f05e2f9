import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.js';

function queue() {
  const controller = new AbortController();
  let closes = 0;
  const events = new EventQueue<number>({ signal: controller.signal, onClose: () => closes++ });
  return { controller, events, closes: () => closes };
}

describe('EventQueue', () => {
  it('delivers pushed items to a waiting and a later consumer, in order', async () => {
    const { events } = queue();
    const waiting = events.next();
    events.push(1);
    events.push(2);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await events.next()).toEqual({ value: 2, done: false });
  });

  it('settles a pending next() as done on abort and closes exactly once', async () => {
    const { controller, events, closes } = queue();
    const pending = events.next();
    controller.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    await events.return();
    expect(closes()).toBe(1);
  });

  it('delivers buffered items before the failure, then rejects once', async () => {
    const { events, closes } = queue();
    events.push(1);
    events.fail(new Error('lost'));
    expect(await events.next()).toEqual({ value: 1, done: false });
    await expect(events.next()).rejects.toThrow('lost');
    expect(await events.next()).toEqual({ value: undefined, done: true });
    expect(closes()).toBe(1);
  });

  it('whenDrained resolves once the consumer pulled everything', async () => {
    const { events } = queue();
    events.push(1);
    events.push(2);
    const drained = events.whenDrained();
    let done = false;
    void drained.then(() => {
      done = true;
    });
    await events.next();
    await Promise.resolve();
    expect(done).toBe(false);
    await events.next();
    await drained;
    expect(events.size).toBe(0);
  });

  it('starts closed when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let closes = 0;
    const events = new EventQueue<number>({ signal: controller.signal, onClose: () => closes++ });
    events.push(1);
    expect(await events.next()).toEqual({ value: undefined, done: true });
    expect(closes).toBe(1);
  });
});

describe('EventQueue overflow', () => {
  it('fails with a retryable SERVICE_UNAVAILABLE instead of dropping when the consumer falls behind', async () => {
    let closes = 0;
    const events = new EventQueue<number>({ signal: new AbortController().signal, maxBuffered: 2, onClose: () => closes++ });
    events.push(1);
    events.push(2);
    events.push(3);
    await expect(events.next()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(closes).toBe(1);
  });
});
