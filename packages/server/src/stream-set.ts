import {
  type AnyProcedure,
  type CallMessage,
  type CreditMessage,
  DEFAULT_STREAM_WINDOW,
  DuplexError,
  type InputDataMessage,
  isStreamSchema,
  type ProcedureKind,
  type StandardSchemaV1,
  type StreamSource,
  streamIterator,
  type SubscribeMessage,
} from '@duplex/core';
import type { ActiveEntry } from './active-entry.js';
import { callProcedure } from './call-procedure.js';
import { CreditWindow } from './credit-window.js';
import { decodePayload } from './decode-input.js';
import { InputStream } from './input-stream.js';
import { enqueue, report, sendError, sendPayload } from './peer-replies.js';
import { recheckSubscription } from './recheck-subscription.js';
import type { CallHost } from './run-call.js';
import type { ServerTransport } from './server-peer-options.js';
import { applySlowReaderPolicy } from './slow-reader-buffer.js';
import { type PumpHost, pumpItems } from './stream-pump.js';

/** What the stream functions need from their connection (the peer itself: no object per stream). */
export interface StreamHost extends CallHost {
  /** Highest call or subscription id seen: a message for an id at or below it may race that id's end. */
  readonly highestId: number;
  readonly transport: ServerTransport;
  /** What {@link pumpItems} calls back into; one per connection, made by the first stream. */
  pump: PumpHost | undefined;
  /** Answers a malformed or out-of-order message (counted against `maxProtocolErrors`). */
  protocolError(id: number | null, reason: string): void;
  countProtocolError(): void;
}

/**
 * Runs a subscription: its handler's AsyncIterable, behind the procedure's slow-reader policy,
 * sent under the client's credit (protocol.md §7.1) and socket backpressure until it ends.
 */
export async function runSubscription(host: StreamHost, message: SubscribeMessage, procedure: AnyProcedure, input: unknown, entry: ActiveEntry): Promise<void> {
  const { id, path } = message;
  let iterator: AsyncIterator<unknown> | undefined;
  try {
    const call = { procedure, path, ctx: host.ctx, input, signal: entry, lastEventId: message.lastEventId };
    const iterable = await (entry.trace ? entry.trace.run(callProcedure, call) : callProcedure(call));
    if (!isAsyncIterable(iterable)) throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'subscription handler must return an AsyncIterable' });
    const source = iterable[Symbol.asyncIterator]();
    iterator = applySlowReaderPolicy(entry.trace ? entry.trace.iterator(source) : source, procedure['~def'].subscription);
    await pumpItems(pumpHost(host), id, entry, iterator, procedure['~def'].outputSchema);
  } catch (cause) {
    failStream(host, id, entry, cause, path, 'subscription');
  }
  // Ended by the client, the deadline or the connection: let the generator run its finally.
  // Not awaited: a generator stuck in an await must not hold up teardown.
  if (iterator?.return) iterator.return().catch(() => {});
}

/**
 * A query or mutation answered with a stream (protocol.md §7.2): `result` with `stream: true`,
 * then its items under the client's credit, then `done`. The call's deadline covered the wait
 * for this answer; the stream runs until it ends or either side cancels.
 */
export async function runStreamedResult(host: StreamHost, message: CallMessage, procedure: AnyProcedure, source: StreamSource<unknown>, entry: ActiveEntry): Promise<void> {
  const { id, path } = message;
  if (!host.requests.isLive(id, entry)) return void streamIterator(source).return?.().catch(() => {});
  if (entry.timer !== undefined) host.clock.clearTimeout(entry.timer);
  entry.timer = undefined;
  entry.credit = new CreditWindow(message.credit ?? DEFAULT_STREAM_WINDOW);
  enqueue(host, { t: 'result', id, stream: true });
  const schema = procedure['~def'].outputSchema;
  let iterator: AsyncIterator<unknown> | undefined;
  try {
    iterator = streamIterator(source);
    if (entry.trace) iterator = entry.trace.iterator(iterator);
    await pumpItems(pumpHost(host), id, entry, iterator, isStreamSchema(schema) ? schema['~item'] : undefined);
  } catch (cause) {
    failStream(host, id, entry, cause, path, message.kind);
  }
  if (iterator?.return) iterator.return().catch(() => {});
}

/** A stream's producer threw: the error ends it, unless it had already ended. */
function failStream(host: StreamHost, id: number, entry: ActiveEntry, cause: unknown, path: string, kind: ProcedureKind): void {
  if (!host.requests.finish(id, entry)) return;
  const error = DuplexError.from(cause);
  entry.trace?.end(error);
  host.requests.release(entry, error);
  report(host, error, path, kind);
  sendError(host, id, error, cause, path, kind);
}

/** The connection as seen by {@link pumpItems}; one object per connection, made on first use. */
function pumpHost(host: StreamHost): PumpHost {
  host.pump ??= {
    isLive: (id, entry) => host.requests.get(id) === entry,
    whenWritable: () => host.transport.whenWritable?.(),
    sendItem: (id, entry, eid, data) => {
      entry.credit?.spend();
      sendPayload(host, eid === undefined ? { t: 'data', id } : { t: 'data', id, eid }, data, entry);
    },
    sendDone: (id, entry) => {
      host.requests.finish(id, entry);
      enqueue(host, { t: 'done', id });
      entry.trace?.end();
    },
  };
  return host.pump;
}

/** Adds credits to a live subscription or streamed result (protocol.md §7.1, §7.2). */
export function grantCredit(host: StreamHost, message: CreditMessage): void {
  const entry = host.requests.get(message.id);
  if (entry?.kind === 'sub' || entry?.credit) {
    if (!entry.credit || entry.credit.grant(message.n)) return;
    return refuseCredit(host, message.id, 'credit would pass 2^31 - 1');
  }
  // A credit may cross the subscription's `done` or `error` on the wire: only an id never used is an error.
  if (!entry && message.id <= host.highestId) return;
  refuseCredit(host, message.id, entry ? `id ${message.id} is a call, not a subscription` : `no subscription with id ${message.id}`);
}

/**
 * Answers a bad `credit` message. A live subscription whose credit is wrong ends with the error
 * (its accounting is lost); a live call is left alone, so the answer names no id.
 */
export function refuseCredit(host: StreamHost, id: number | null, reason: string): void {
  const entry = id === null ? undefined : host.requests.get(id);
  if (entry?.kind === 'call' && !entry.credit) return host.protocolError(null, `${reason} (credit for call ${id})`);
  if (entry && id !== null) host.requests.drop(id, entry, new DuplexError({ code: 'BAD_REQUEST', message: `protocol error: ${reason}` }));
  host.protocolError(id, reason);
}

/**
 * After a re-authentication: checks each live subscription again by its middleware chain with
 * the new context `ctx`; one it now refuses ends with that error (e.g. `FORBIDDEN`).
 */
export function recheckSubscriptions(host: StreamHost, ctx: unknown): void {
  for (const [id, entry] of host.requests) {
    const source = entry.source;
    if (!source) continue;
    void recheckSubscription(source, ctx, entry).then((refusal) => {
      if (!refusal || !host.requests.isLive(id, entry) || host.ctx !== ctx) return;
      end(host, id, entry, refusal, source.path, 'subscription');
    });
  }
}

/**
 * The server's end of call `id`'s client stream (protocol.md §7.2); grants the first window. A
 * function of its own: the grant callback's closure in the caller would cost every call a
 * context allocation.
 */
export function openInput(host: StreamHost, id: number, entry: ActiveEntry, procedure: AnyProcedure): InputStream {
  const schema = procedure['~def'].inputSchema as StandardSchemaV1 & { '~item': StandardSchemaV1 };
  const input = new InputStream(host.options.streamWindow ?? DEFAULT_STREAM_WINDOW, schema['~item'], (n) => {
    if (host.requests.isLive(id, entry)) host.push(`{"t":"credit","id":${id},"n":${n}}`);
  });
  entry.input = input;
  input.open();
  return input;
}

/**
 * One item of a call's client stream. Items for a call that has ended are dropped (they crossed
 * its answer on the wire); an item past the granted credit ends the call.
 */
export function receiveItem(host: StreamHost, message: InputDataMessage): void {
  const entry = inputOf(host, message.id);
  if (!entry?.input) return;
  let value: unknown;
  try {
    value = decodePayload(host.codec, message.data);
  } catch {
    return end(host, message.id, entry, new DuplexError({ code: 'BAD_REQUEST', message: 'a client stream item could not be decoded' }));
  }
  if (entry.input.push(value)) return;
  end(host, message.id, entry, new DuplexError({ code: 'BAD_REQUEST', message: 'protocol error: data sent past the granted credit' }));
  host.countProtocolError();
}

/** The client's `done` for call `id`'s client stream. */
export function receiveDone(host: StreamHost, id: number): void {
  inputOf(host, id)?.input?.end();
}

/**
 * The running call with a client stream that `data` or `done` names. Those may cross the call's
 * answer on the wire, so only an id never used, or one without a client stream, is refused.
 */
function inputOf(host: StreamHost, id: number): ActiveEntry | undefined {
  const entry = host.requests.get(id);
  if (entry?.input) return entry;
  if (entry || id > host.highestId) host.protocolError(id, `no client stream with id ${id}`);
  return undefined;
}

/**
 * Ends a running call or subscription with `error` (both halves of a stream): its handler's
 * signal aborts, `onError` sees it and the client gets it.
 */
function end(host: StreamHost, id: number, entry: ActiveEntry, error: DuplexError, path?: string, kind?: ProcedureKind): void {
  host.requests.drop(id, entry, error);
  report(host, error, path, kind);
  sendError(host, id, error, error, path, kind);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
