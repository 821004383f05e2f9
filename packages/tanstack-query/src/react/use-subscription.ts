import { hashKey } from '@tanstack/query-core';
import { useMemo, useSyncExternalStore } from 'react';
import { SubscriptionObserver, type SubscriptionResult } from '../subscription-observer.js';
import type { SubscriptionOptionsOut } from '../types.js';

/**
 * Subscribes while the component is mounted and returns the latest event, the error and a status
 * that follows the connection (connecting, live, reconnecting, resumed). A new input (key) or
 * `enabled` restarts it; new callbacks do not.
 * @example
 * const { data, status } = useSubscription(duplex.onPost.subscriptionOptions({ room }, { onData: (post) => add(post) }));
 */
export function useSubscription<TData>(options: SubscriptionOptionsOut<TData>): SubscriptionResult<TData> {
  const hash = hashKey(options.queryKey);
  const enabled = options.enabled !== false;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key's hash and `enabled` pick the subscription; callbacks are read fresh
  const observer = useMemo(() => new SubscriptionObserver(options), [hash, enabled]);
  observer.setOptions(options);
  return useSyncExternalStore(observer.subscribe, observer.getSnapshot, observer.getSnapshot);
}
