/**
 * What an at-most-once backend (Redis pub/sub, core NATS) does with a `lastEventId` it cannot
 * replay from: `'conflict'` ends the subscription with `CONFLICT`; `'live'` accepts the gap and
 * continues with live events — an explicit opt-in, never a silent skip.
 */
export type ResumePolicy = 'conflict' | 'live';
