import { DuplexError } from '@duplex/core';

/** The error a subscription ends with when it cannot resume after `lastEventId` without a gap. */
export function resumeConflict(topic: string, lastEventId: string, reason: string): DuplexError {
  return new DuplexError({
    code: 'CONFLICT',
    message: `Cannot resume "${topic}" after event ${lastEventId}: ${reason}. Reload a snapshot and subscribe again without lastEventId.`,
  });
}

/** The error a subscription ends with when its backend connection is lost. */
export function backendUnavailable(backend: string, cause: unknown): DuplexError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: `${backend} connection lost${detail}`, cause, retryable: true });
}
