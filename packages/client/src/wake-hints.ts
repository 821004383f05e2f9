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
  const { window: win, document: doc } = globalThis as { window?: EventSource; document?: EventSource & { visibilityState?: string } };
  const onOnline = () => onWake('online');
  const onVisible = () => doc?.visibilityState === 'visible' && onWake('visible');
  win?.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisible);
  return () => {
    win?.removeEventListener('online', onOnline);
    doc?.removeEventListener('visibilitychange', onVisible);
  };
}
