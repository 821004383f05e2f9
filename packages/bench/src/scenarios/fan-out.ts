import type { EventShape } from '../payloads.js';
import type { SystemClient } from '../system.js';

/** Counts deliveries across many subscriptions and resolves when a target is reached. */
export class DeliveryCounter {
  private count = 0;
  private target = Number.POSITIVE_INFINITY;
  private reached: (() => void) | undefined;

  readonly onData = (): void => {
    this.count++;
    if (this.count === this.target) this.reached?.();
  };

  /** Resets the count and resolves once `target` more deliveries arrived (or rejects after `timeoutMs`). */
  expect(target: number, timeoutMs: number): Promise<void> {
    this.count = 0;
    this.target = target;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fan-out: ${this.count} of ${target} deliveries after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.reached = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * One fan-out round: asks the server to publish `events` events and measures until every
 * subscriber got every one. Returns deliveries per second.
 */
export async function fanOutRound(opts: {
  counter: DeliveryCounter;
  subscribers: number;
  events: number;
  publish: (events: number) => Promise<void>;
  timeoutMs: number;
}): Promise<{ deliveries: number; elapsedMs: number }> {
  const deliveries = opts.subscribers * opts.events;
  const done = opts.counter.expect(deliveries, opts.timeoutMs);
  const start = performance.now();
  await opts.publish(opts.events);
  await done;
  return { deliveries, elapsedMs: performance.now() - start };
}

/** Subscribes every client once to the `events` subscription (`datedEvents` for `'dated'`). */
export function subscribeAll(clients: readonly SystemClient[], counter: DeliveryCounter, shape: EventShape = 'plain'): Array<() => void> {
  return clients.map((client) => client.subscribe(counter.onData, shape));
}
