import { type CallMessage, DuplexError, isStreamSchema, type SubscribeMessage } from '@duplex/core';
import { ActiveEntry } from './active-entry.js';
import { CreditWindow } from './credit-window.js';
import { decodePayload } from './decode-input.js';
import { type ConnectionInstrumentation, requestInfo } from './instrumentation.js';
import { MAX_TIMER_DELAY_MS, type PeerLimits, type RequestBudget } from './limits.js';
import { report, sendError } from './peer-replies.js';
import { armDeadline, claimMutation, runCall } from './run-call.js';
import { openInput, runSubscription, type StreamHost } from './stream-set.js';

/** What {@link startRequest} needs from its connection (the peer itself: no object per request). */
export interface StartHost extends StreamHost {
  readonly limits: PeerLimits;
  /** Present only when `maxRequestsPerSecond` is set. */
  readonly budget: RequestBudget | undefined;
  readonly telemetry: ConnectionInstrumentation | undefined;
  /** Calls and subscriptions started so far (idle detection reads it). */
  started: number;
  highestId: number;
}

/**
 * Admits a `call` or `sub` against the connection's limits, finds its procedure and decodes its
 * input, then runs it (run-call.ts, stream-set.ts). Refusals are answered on its id.
 */
export function startRequest(host: StartHost, message: CallMessage | SubscribeMessage): void {
  host.started++;
  const { id } = message;
  if (id > host.highestId) host.highestId = id;
  if (host.requests.has(id)) return host.protocolError(null, `id ${id} is already in use`);
  if (host.budget && !host.budget.take()) return limitError(host, id, `more than ${host.limits.maxRequestsPerSecond} requests per second`);
  const refusal = overLimit(host, message.t);
  if (refusal) return limitError(host, id, `this connection already has ${refusal}`);
  const procedure = host.options.router['~def'].procedures.get(message.path);
  const expected = message.t === 'sub' ? 'subscription' : message.kind;
  if (!procedure || procedure['~def'].kind !== expected) {
    const error = new DuplexError({ code: 'NOT_FOUND', message: `no ${expected} at path "${message.path.slice(0, 200)}"` });
    report(host, error, message.path, expected);
    return sendError(host, id, error, error, message.path, expected);
  }
  const streamIn = isStreamSchema(procedure['~def'].inputSchema);
  if (streamIn !== (message.t === 'call' && message.stream === true)) {
    const reason = streamIn
      ? message.t === 'sub'
        ? `"${message.path}" takes a client stream, which a subscription cannot send`
        : `"${message.path}" takes a client stream: send the call with stream: true`
      : `"${message.path}" does not take a client stream`;
    return sendError(host, id, new DuplexError({ code: 'BAD_REQUEST', message: reason }));
  }
  if (streamIn && host.requests.clientStreams() >= host.limits.maxClientStreams) {
    // Not a protocol error: a well-behaved client uploading many files at once meets it.
    const error = new DuplexError({ code: 'TOO_MANY_REQUESTS', message: `this connection already has ${host.limits.maxClientStreams} client streams (maxClientStreams)`, retryable: true });
    report(host, error, message.path, message.t === 'call' ? message.kind : undefined);
    return sendError(host, id, error);
  }
  const rawInput = message.input;
  let input: unknown;
  try {
    input = decodePayload(host.codec, rawInput);
  } catch {
    return sendError(host, id, new DuplexError({ code: 'BAD_REQUEST', message: 'input payload could not be decoded' }));
  }
  const entry = new ActiveEntry(message.t);
  if (host.telemetry) entry.trace = host.telemetry.request(requestInfo(message, rawInput));
  if (message.t === 'sub') entry.source = { procedure, path: message.path, input };
  host.requests.add(id, entry);
  if (message.t === 'call') {
    if (message.timeoutMs !== undefined && message.timeoutMs <= MAX_TIMER_DELAY_MS) armDeadline(host, id, entry, message.path, message.timeoutMs);
    if (streamIn) input = openInput(host, id, entry, procedure);
    // A client stream cannot be sent again, so it is never claimed in the dedupe window.
    const claim = message.kind === 'mutation' && !streamIn ? claimMutation(host, message, rawInput) : undefined;
    void runCall(host, message, procedure, input, entry, claim);
  } else {
    if (message.credit !== undefined) entry.credit = new CreditWindow(message.credit);
    void runSubscription(host, message, procedure, input, entry);
  }
}

/** What starting one more `kind` would pass, or undefined. Counts only near the limits. */
function overLimit(host: StartHost, kind: 'call' | 'sub'): string | undefined {
  const { maxCallsInFlight, maxSubscriptions } = host.limits;
  if (host.requests.size < Math.min(maxCallsInFlight, maxSubscriptions)) return undefined;
  const { calls, subscriptions } = host.requests.stats;
  if (kind === 'call') return calls >= maxCallsInFlight ? `${maxCallsInFlight} calls in flight` : undefined;
  return subscriptions >= maxSubscriptions ? `${maxSubscriptions} subscriptions` : undefined;
}

/** Refuses a request past a limit with `TOO_MANY_REQUESTS` (counted as a protocol error). */
export function limitError(host: StartHost, id: number, message: string): void {
  const error = new DuplexError({ code: 'TOO_MANY_REQUESTS', message });
  report(host, error, undefined, undefined);
  sendError(host, id, error);
  host.countProtocolError();
}
