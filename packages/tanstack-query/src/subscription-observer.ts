import type { DuplexError } from '@duplex/core';
import type { SubscriptionOptionsOut } from './types.js';

/**
 * Where a subscription stands, the connection included: `connecting` until the socket is open,
 * `live` while events flow, `reconnecting` while the socket is being replaced, `resumed` once the
 * client re-subscribed from the last event id, then `error` or `complete` when it ends for good.
 */
export type SubscriptionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'resumed' | 'error' | 'complete';

/** What a subscription hook returns: the latest event, the error and the status. */
export interface SubscriptionResult<TData> {
  /** The latest event, or `undefined` before the first one. */
  data: TData | undefined;
  /** The `tracked()` id of the latest event, if it had one. */
  lastEventId: string | undefined;
  error: DuplexError | null;
  status: SubscriptionStatus;
}

const idle: SubscriptionResult<never> = { data: undefined, lastEventId: undefined, error: null, status: 'idle' };

/**
 * Runs one duplex subscription for as long as something listens, and keeps a snapshot of it for a
 * framework's store hook (`useSyncExternalStore` in React; Vue, Solid and Svelte adapters fit too).
 * @example
 * const observer = new SubscriptionObserver(duplex.onPost.subscriptionOptions({ room: 'a' }));
 * const stop = observer.subscribe(() => render(observer.getSnapshot()));
 */
export class SubscriptionObserver<TData> {
  private snapshot: SubscriptionResult<TData> = idle;
  private readonly listeners = new Set<() => void>();
  private stop: (() => void) | undefined;

  constructor(private options: SubscriptionOptionsOut<TData>) {}

  /** Takes new callbacks without restarting (the key and `enabled` pick the observer). */
  setOptions(options: SubscriptionOptionsOut<TData>): void {
    this.options = options;
  }

  /** The current result; the same object until something changes. */
  getSnapshot = (): SubscriptionResult<TData> => this.snapshot;

  /** Adds a listener; the first one starts the subscription, the last one leaving ends it. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.end();
    };
  };

  private update(patch: Partial<SubscriptionResult<TData>>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }

  private start(): void {
    if (this.options.enabled === false) return;
    const connection = this.options.connection;
    let ended = false;
    this.snapshot = { ...idle, status: !connection || connection.state === 'open' ? 'live' : 'connecting' };
    const offState = connection?.on('state', (state) => {
      if (ended) return;
      const { status } = this.snapshot;
      if (state === 'reconnecting' || (state === 'connecting' && status !== 'connecting')) this.update({ status: 'reconnecting' });
      // The client re-sends every live subscription with its last event id before anything else.
      else if (state === 'open') this.update({ status: status === 'connecting' ? 'live' : 'resumed' });
    });
    const unsubscribe = this.options.subscribe({
      onData: (data, meta) => {
        if (ended) return;
        this.options.onData?.(data, meta);
        this.update({ data, lastEventId: meta.id, status: this.snapshot.status === 'connecting' ? 'live' : this.snapshot.status });
      },
      onError: (error) => {
        if (ended) return;
        ended = true;
        offState?.();
        this.options.onError?.(error);
        this.update({ error, status: 'error' });
      },
      onComplete: () => {
        if (ended) return;
        ended = true;
        offState?.();
        this.update({ status: 'complete' });
      },
    });
    this.stop = () => {
      ended = true;
      offState?.();
      unsubscribe();
    };
  }

  private end(): void {
    this.stop?.();
    this.stop = undefined;
    this.snapshot = idle;
  }
}
