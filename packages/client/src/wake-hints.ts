/** Why the page hints that now is a good time to (re)connect. */
export type WakeReason = 'online' | 'visible';

interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * In browsers, calls `onWake` when the network comes back (`online`) or the page becomes visible
 * (`visibilitychange`), so the client reconnects or checks its link at once instead of waiting
 * out a backoff delay or a heartbeat interval. Outside browsers it does nothing.
 * Returns the function that removes the listeners.
 */
export function listenForWakeHints(onWake: (reason: WakeReason) => void): () => void {
  const scope = globalThis as { window?: EventSource; document?: EventSource & { visibilityState?: string } };
  const win = typeof scope.window === 'object' && scope.window !== null ? scope.window : undefined;
  const doc = typeof scope.document === 'object' && scope.document !== null ? scope.document : undefined;
  const onOnline = () => onWake('online');
  const onVisibility = () => {
    if (doc?.visibilityState === 'visible') onWake('visible');
  };
  win?.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisibility);
  return () => {
    win?.removeEventListener('online', onOnline);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
}
