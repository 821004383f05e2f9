import { type AnyProcedure, type CallMessage, type Clock, DuplexError, isStreamSource, type StreamSource } from '@duplex/core';
import type { ActiveEntry } from './active-entry.js';
import { callProcedure } from './call-procedure.js';
import { EXPIRED, KEY_MISMATCH, OPTED_OUT, STREAMED, storeFailure } from './dedupe-answers.js';
import { type DedupeClaim, type DedupeOutcome, type DedupeStore, defaultDedupeStore } from './dedupe-store.js';
import { inputFingerprint } from './input-fingerprint.js';
import { enqueue, type ReplyHost, report, sendError, sendPayload, shape } from './peer-replies.js';

/** The client's session (from `hello`) and the store that remembers its mutations (protocol.md §5.2). */
export interface DedupeSession {
  store: DedupeStore;
  sid: string;
  /** Lowest `seq` the store may still be asked about: the hello's `seq` + 1. */
  floor: number;
}

/** What {@link runCall} needs from its connection (the peer itself: no object per call). */
export interface CallHost extends ReplyHost {
  readonly clock: Clock;
  readonly session: DedupeSession | undefined;
  /** A call answered with a stream: its items follow under the client's credit (stream-set.ts). */
  streamResult(message: CallMessage, procedure: AnyProcedure, source: StreamSource<unknown>, entry: ActiveEntry): void;
}

/**
 * Runs a query or mutation and queues its answer. A mutation `pending` a dedupe claim (a session
 * `seq` or an idempotency `key`) runs only when the store says so; otherwise it is answered from
 * the window (exactly-once, protocol.md §5.2). A result that is a stream is handed to
 * {@link CallHost.streamResult}. A call released meanwhile (cancel, deadline, closed connection)
 * answers nothing.
 */
export async function runCall(
  host: CallHost,
  message: CallMessage,
  procedure: AnyProcedure,
  input: unknown,
  entry: ActiveEntry,
  pending?: DedupeClaim | Promise<DedupeClaim>,
): Promise<void> {
  const { id, path } = message;
  let record: ((outcome: DedupeOutcome | undefined) => void) | undefined;
  if (pending) {
    const claim = pending instanceof Promise ? await pending.catch(storeFailure) : pending;
    switch (claim.status) {
      case 'run':
        record = claim.complete;
        break;
      case 'done':
        return answer(host, id, entry, claim.outcome);
      case 'running': {
        // A re-send raced the first attempt (an old connection still running it): share its outcome.
        const outcome = await claim.outcome;
        if (outcome) return answer(host, id, entry, outcome);
        return runCall(host, message, procedure, input, entry, claimMutation(host, message, message.input));
      }
      case 'expired':
        return answer(host, id, entry, { ok: false, error: EXPIRED });
      case 'mismatch':
        return answer(host, id, entry, { ok: false, error: KEY_MISMATCH });
    }
  }
  try {
    const call = { procedure, path, ctx: host.ctx, input, signal: entry };
    const data = await (entry.trace ? entry.trace.run(callProcedure, call) : callProcedure(call));
    if (isStreamSource(data)) {
      record?.(STREAMED);
      return host.streamResult(message, procedure, data, entry);
    }
    record?.(procedure['~def'].exactlyOnce === false ? OPTED_OUT : { ok: true, data });
    if (!host.requests.finish(id, entry)) return; // cancelled or timed out: the late result is dropped
    sendPayload(host, { t: 'result', id }, data, entry);
    entry.trace?.end();
  } catch (cause) {
    const error = DuplexError.from(cause);
    // Aborted (cancel, deadline, lost connection): it may not have finished, so a re-send runs it.
    record?.(entry.aborted ? undefined : procedure['~def'].exactlyOnce === false ? OPTED_OUT : { ok: false, error: shape(host, error, cause, path, message.kind) });
    if (!host.requests.finish(id, entry)) return;
    entry.trace?.end(error);
    report(host, error, path, message.kind);
    sendError(host, id, error, cause, path, message.kind);
  }
}

/** Answers a mutation from the dedupe window (or with the window's refusal). */
function answer(host: CallHost, id: number, entry: ActiveEntry, outcome: DedupeOutcome): void {
  if (!host.requests.finish(id, entry)) return;
  if (outcome.ok) sendPayload(host, { t: 'result', id }, outcome.data, entry);
  else enqueue(host, { t: 'error', id, error: outcome.error });
  entry.trace?.end(outcome.ok ? undefined : outcome.error);
}

/**
 * Asks the dedupe window about a mutation that carries a session `seq` or an idempotency `key`;
 * undefined when neither applies (the mutation just runs).
 */
export function claimMutation(host: CallHost, message: CallMessage, rawInput: unknown): DedupeClaim | Promise<DedupeClaim> | undefined {
  const store = host.session?.store ?? (message.key === undefined ? undefined : (host.options.dedupe ?? defaultDedupeStore()));
  if (!store) return undefined;
  if (message.key !== undefined) {
    return store.claim({ kind: 'key', path: message.path, key: message.key, fingerprint: inputFingerprint(rawInput) });
  }
  const session = host.session;
  if (!session || message.seq === undefined) return undefined;
  return store.claim({ kind: 'session', sid: session.sid, seq: message.seq, floor: session.floor });
}

/**
 * Arms call `id`'s deadline (`call.timeoutMs`): when it passes, the handler's signal aborts and
 * the client gets `TIMEOUT`; a late result is dropped. A function of its own: the timer's closure
 * would otherwise make every message through the caller allocate a context.
 */
export function armDeadline(host: CallHost, id: number, entry: ActiveEntry, path: string, timeoutMs: number): void {
  entry.timer = host.clock.setTimeout(() => {
    if (!host.requests.isLive(id, entry)) return;
    entry.timer = undefined;
    const error = new DuplexError({ code: 'TIMEOUT', message: `deadline exceeded for "${path}"` });
    host.requests.drop(id, entry, error);
    sendError(host, id, error, error, path);
  }, timeoutMs);
}
