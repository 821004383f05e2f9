import type { ErrorShape } from '@duplex/core';
import type { DedupeClaim, DedupeOutcome } from './dedupe-store.js';

/** A re-sent mutation the dedupe window no longer knows: it may have run, so it is not run again. */
export const EXPIRED: ErrorShape = {
  code: 'CONFLICT',
  message: "this mutation may already have run, and the server's dedupe window no longer holds its result; it was not run again",
};
export const KEY_MISMATCH: ErrorShape = { code: 'CONFLICT', message: 'this idempotency key was already used with a different input' };
/** What a re-send of a mutation with `exactlyOnce: false` gets: it ran, and its result was not kept. */
export const OPTED_OUT: DedupeOutcome = {
  ok: false,
  error: {
    code: 'SERVICE_UNAVAILABLE',
    message: 'this mutation ran before the connection was lost; it keeps no result (exactlyOnce: false) and was not run again',
    retryable: true,
  },
};

/** A store that failed (e.g. Redis unreachable): refuse rather than risk running a mutation twice. */
export function storeFailure(): DedupeClaim {
  return { status: 'expired' };
}

/** What a re-send of a mutation whose result was a stream gets: a stream cannot be replayed. */
export const STREAMED: DedupeOutcome = {
  ok: false,
  error: {
    code: 'CONFLICT',
    message: 'this mutation ran and answered with a stream before the connection was lost; a stream cannot be replayed, and it was not run again',
  },
};
