import type { ErrorShape } from './errors.js';
import { isCredit } from './flow.js';
import { parseWireTraceContext, type WireTraceContext } from './trace-context.js';

/** Procedure kinds a `call` may name. */
export type CallKind = 'query' | 'mutation';

/** First message on every connection: version, codec and the app's connection params. */
export interface HelloMessage {
  t: 'hello';
  v: number;
  codec: string;
  params?: Record<string, unknown>;
  /**
   * The client's session id: random, at least 16 characters, kept across reconnects. Mutations
   * carry `seq` within it, so a server can answer a re-sent one from its dedupe window.
   */
  sid?: string;
  /**
   * The highest `call.seq` this session wrote to any earlier connection. A server that does not
   * know the session treats every `seq` up to it as possibly run (never runs it again).
   */
  seq?: number;
}
/** A query or mutation. `id` is a per-connection integer chosen by the client. */
export interface CallMessage {
  t: 'call';
  id: number;
  kind: CallKind;
  path: string;
  input?: unknown;
  /** Remaining deadline in ms; the server aborts the handler when it passes. */
  timeoutMs?: number;
  /** Mutations: the call's number within the hello's session (1, 2, …), the same when re-sent. */
  seq?: number;
  /** Mutations: an idempotency key the application chose; calls with the same key run once. */
  key?: string;
  /**
   * The input is a client stream (§7.2): it has no `input`; its items follow as `data` messages
   * on this id, each sent against credit the server granted, then `done`.
   */
  stream?: true;
  /** Initial credit for a streamed result (§7.2). Absent: `DEFAULT_STREAM_WINDOW` (16). */
  credit?: number;
  /** The caller's W3C trace context (§4.1); a malformed one is ignored. */
  tc?: WireTraceContext;
}
/** Start a subscription; `lastEventId` resumes after that event. */
export interface SubscribeMessage {
  t: 'sub';
  id: number;
  path: string;
  input?: unknown;
  lastEventId?: string;
  /** Initial credit window (§7.1): events the server may send before the client grants more. Absent: no credit limit. */
  credit?: number;
  /** The caller's W3C trace context (§4.1); a malformed one is ignored. */
  tc?: WireTraceContext;
}
/** One item of a call's client stream (§7.2); sent only against credit the server granted. */
export interface InputDataMessage {
  t: 'data';
  id: number;
  data?: unknown;
}
/** The call's client stream ended; no more `data` follows for this id (§7.2). */
export interface InputDoneMessage {
  t: 'done';
  id: number;
}
/**
 * Grants `n` more credits to subscription or stream `id` (§7.1, §7.2). Sent by the client for
 * subscriptions and streamed results, by the server for a call's client stream.
 */
export interface CreditMessage {
  t: 'credit';
  id: number;
  n: number;
}
/** Cancel a call or end a subscription. The server sends nothing more for that id. */
export interface CancelMessage {
  t: 'cancel';
  id: number;
}
/**
 * New `connectionParams` on the open connection (credential rotation): the server runs
 * `createContext` again and answers `result` (new calls use the new context) or `error` (the
 * previous context stays).
 */
export interface AuthMessage {
  t: 'auth';
  id: number;
  params?: Record<string, unknown>;
}
/** Application-level heartbeat (either direction). */
export interface PingMessage {
  t: 'ping';
}
/** Answer to {@link PingMessage}. */
export interface PongMessage {
  t: 'pong';
}

/** Every message a client sends. */
export type ClientMessage =
  | HelloMessage
  | CallMessage
  | SubscribeMessage
  | CreditMessage
  | CancelMessage
  | AuthMessage
  | InputDataMessage
  | InputDoneMessage
  | PingMessage
  | PongMessage;

/** The limits a server enforces on each connection, stated in `ready` so a client can stay inside them. */
export interface ServerLimits {
  /** Largest frame the server reads, in bytes; a larger one closes the connection with 1009. */
  maxMessageBytes: number;
  /** Queries and mutations running at once; more are refused with `TOO_MANY_REQUESTS`. */
  maxCallsInFlight: number;
  /** Live subscriptions at once; more are refused with `TOO_MANY_REQUESTS`. */
  maxSubscriptions: number;
  /** Calls and subscriptions started per second, when the server limits it. */
  maxRequestsPerSecond?: number;
  /**
   * Calls with a client stream (protocol.md §7.2) running at once; one more is refused with a
   * retryable `TOO_MANY_REQUESTS`. Absent from servers older than this field.
   */
  maxClientStreams?: number;
}

/** The hello was accepted and the context created; calls are now served. */
export interface ReadyMessage {
  t: 'ready';
  /** Connection id, for logs. */
  cid: string;
  /** The server's per-connection limits (absent from servers older than this field). */
  limits?: ServerLimits;
  /**
   * Present when the server keeps a dedupe window for the hello's session: mutations that carry
   * `seq` run at most once, so a client may send one again after a lost link (reliability.md).
   */
  dedupe?: DedupeInfo;
  /** When the context's credentials expire (epoch ms, server clock): refresh before then (protocol.md §5.3). */
  exp?: number;
}

/** How long and how many completed mutations a server remembers per session. */
export interface DedupeInfo {
  /** A result is kept at least this long after the mutation completed. */
  windowMs: number;
  /** Results kept per session at most; older ones are forgotten first. */
  maxEntries: number;
}
/** A call's result. */
export interface ResultMessage {
  t: 'result';
  id: number;
  data?: unknown;
  /**
   * The result is a stream (§7.2): its items follow as `data` messages on this id, under the
   * client's credit, then `done` or `error`. Such a result carries no `data` itself.
   */
  stream?: true;
  /** Answers to `auth` only: when the new credentials expire (epoch ms, protocol.md §5.3). */
  exp?: number;
}
/** A call or subscription failed; `id: null` for a frame that names no valid id. */
export interface ErrorMessage {
  t: 'error';
  id: number | null;
  error: ErrorShape;
}
/** One subscription event; `eid` is the id given to `tracked()`. */
export interface DataMessage {
  t: 'data';
  id: number;
  data?: unknown;
  eid?: string;
}
/** A subscription ended normally on the server side. */
export interface DoneMessage {
  t: 'done';
  id: number;
}
/** The server is going away (shutdown / deploy): reconnect, possibly elsewhere. */
export interface GoAwayMessage {
  t: 'goaway';
  reason?: string;
}

/** Every message a server sends. */
export type ServerMessage =
  | ReadyMessage
  | ResultMessage
  | ErrorMessage
  | DataMessage
  | DoneMessage
  | CreditMessage
  | PingMessage
  | PongMessage
  | GoAwayMessage;

/** A decoded message or the reason it is not one. */
export type ParseResult<TMessage> =
  | { ok: true; message: TMessage }
  | { ok: false; id: number | null; reason: string };

const MAX_ID = Number.MAX_SAFE_INTEGER;
/** Longest `call.key` and `hello.sid`. */
export const MAX_KEY_LENGTH = 128;

function isLimit(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value);
}

/** Reads `ready.limits`; a missing or malformed object counts as none (an older server). */
function parseLimits(raw: unknown): ServerLimits | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { maxMessageBytes, maxCallsInFlight, maxSubscriptions, maxRequestsPerSecond, maxClientStreams } = raw;
  if (!isLimit(maxMessageBytes) || !isLimit(maxCallsInFlight) || !isLimit(maxSubscriptions)) return undefined;
  const limits: ServerLimits = { maxMessageBytes, maxCallsInFlight, maxSubscriptions };
  if (isLimit(maxRequestsPerSecond)) limits.maxRequestsPerSecond = maxRequestsPerSecond;
  if (isLimit(maxClientStreams)) limits.maxClientStreams = maxClientStreams;
  return limits;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID;
}
function isPath(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 512;
}
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks one decoded JSON value against the client message union. Never throws; a bad message
 * yields the reason and, where one can be read, the id to answer on.
 */
export function parseClientMessage(raw: unknown): ParseResult<ClientMessage> {
  if (!isPlainObject(raw)) return { ok: false, id: null, reason: 'message must be a JSON object' };
  const id = isId(raw.id) ? raw.id : null;
  const bad = (reason: string): ParseResult<ClientMessage> => ({ ok: false, id, reason });
  switch (raw.t) {
    case 'call': {
      if (id === null) return bad('call.id must be a non-negative integer');
      if (raw.kind !== 'query' && raw.kind !== 'mutation') return bad('call.kind must be "query" or "mutation"');
      if (!isPath(raw.path)) return bad('call.path must be a non-empty string');
      if (raw.timeoutMs !== undefined && !(typeof raw.timeoutMs === 'number' && raw.timeoutMs > 0 && Number.isFinite(raw.timeoutMs)))
        return bad('call.timeoutMs must be a positive number');
      if (raw.seq !== undefined && !(isId(raw.seq) && raw.seq > 0)) return bad('call.seq must be a positive integer');
      if (raw.key !== undefined && !(typeof raw.key === 'string' && raw.key.length > 0 && raw.key.length <= MAX_KEY_LENGTH))
        return bad(`call.key must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
      const message: CallMessage = { t: 'call', id, kind: raw.kind, path: raw.path, input: raw.input };
      if (raw.timeoutMs !== undefined) message.timeoutMs = raw.timeoutMs as number;
      if (raw.seq !== undefined) message.seq = raw.seq as number;
      if (raw.key !== undefined) message.key = raw.key as string;
      if (raw.stream !== undefined) {
        if (raw.stream !== true) return bad('call.stream must be true when present');
        if (raw.input !== undefined) return bad('a call with stream: true carries no input');
        message.stream = true;
      }
      if (raw.credit !== undefined) {
        if (!isCredit(raw.credit, 1)) return bad('call.credit must be an integer from 1 to 2^31 - 1');
        message.credit = raw.credit;
      }
      if (raw.tc !== undefined) setTraceContext(message, raw.tc);
      return { ok: true, message };
    }
    case 'sub': {
      if (id === null) return bad('sub.id must be a non-negative integer');
      if (!isPath(raw.path)) return bad('sub.path must be a non-empty string');
      if (raw.lastEventId !== undefined && typeof raw.lastEventId !== 'string') return bad('sub.lastEventId must be a string');
      const message: SubscribeMessage = { t: 'sub', id, path: raw.path, input: raw.input };
      if (raw.lastEventId !== undefined) message.lastEventId = raw.lastEventId as string;
      if (raw.credit !== undefined) {
        if (!isCredit(raw.credit, 0)) return bad('sub.credit must be an integer from 0 to 2^31 - 1');
        message.credit = raw.credit;
      }
      if (raw.tc !== undefined) setTraceContext(message, raw.tc);
      return { ok: true, message };
    }
    case 'credit':
      if (id === null) return bad('credit.id must be a non-negative integer');
      if (!isCredit(raw.n, 1)) return bad('credit.n must be an integer from 1 to 2^31 - 1');
      return { ok: true, message: { t: 'credit', id, n: raw.n } };
    case 'auth': {
      if (id === null) return bad('auth.id must be a non-negative integer');
      if (raw.params !== undefined && raw.params !== null && !isPlainObject(raw.params)) return bad('auth.params must be an object');
      const message: AuthMessage = { t: 'auth', id };
      if (raw.params) message.params = raw.params as Record<string, unknown>;
      return { ok: true, message };
    }
    case 'cancel':
      if (id === null) return bad('cancel.id must be a non-negative integer');
      return { ok: true, message: { t: 'cancel', id } };
    case 'data': {
      if (id === null) return bad('data.id must be a non-negative integer');
      const message: InputDataMessage = { t: 'data', id };
      if (raw.data !== undefined) message.data = raw.data;
      return { ok: true, message };
    }
    case 'done':
      if (id === null) return bad('done.id must be a non-negative integer');
      return { ok: true, message: { t: 'done', id } };
    case 'hello': {
      if (raw.v !== undefined && typeof raw.v !== 'number') return bad('hello.v must be a number');
      if (raw.codec !== undefined && typeof raw.codec !== 'string') return bad('hello.codec must be a string');
      if (raw.params !== undefined && raw.params !== null && !isPlainObject(raw.params)) return bad('hello.params must be an object');
      if (raw.sid !== undefined && !(typeof raw.sid === 'string' && raw.sid.length >= 16 && raw.sid.length <= MAX_KEY_LENGTH))
        return bad(`hello.sid must be a string of 16 to ${MAX_KEY_LENGTH} characters`);
      const message: HelloMessage = { t: 'hello', v: (raw.v as number | undefined) ?? 1, codec: (raw.codec as string | undefined) ?? 'superjson' };
      if (raw.params) message.params = raw.params as Record<string, unknown>;
      if (raw.seq !== undefined && !isId(raw.seq)) return bad('hello.seq must be a non-negative integer');
      if (raw.sid !== undefined) message.sid = raw.sid as string;
      if (raw.seq !== undefined) message.seq = raw.seq as number;
      return { ok: true, message };
    }
    case 'ping':
      return { ok: true, message: { t: 'ping' } };
    case 'pong':
      return { ok: true, message: { t: 'pong' } };
    default:
      return bad(typeof raw.t === 'string' ? `unknown message kind "${raw.t.slice(0, 32)}"` : 'message.t must be a string');
  }
}

/** Keeps a well-formed `tc` on the message; a malformed one is dropped, not an error (§4.1). */
function setTraceContext(message: CallMessage | SubscribeMessage, raw: unknown): void {
  const tc = parseWireTraceContext(raw);
  if (tc) message.tc = tc;
}

/**
 * Checks one decoded JSON value against the server message union (used by clients); undefined
 * when it is not one. A client drops such a message without answering, so no reason is kept:
 * the reason strings would only add to every browser bundle.
 */
export function parseServerMessage(raw: unknown): ServerMessage | undefined {
  if (!isPlainObject(raw)) return undefined;
  const id = isId(raw.id) ? raw.id : null;
  switch (raw.t) {
    case 'credit':
      return id !== null && isCredit(raw.n, 1) ? { t: 'credit', id, n: raw.n } : undefined;
    case 'result':
      if (raw.exp !== undefined && !Number.isFinite(raw.exp)) return undefined;
      break;
    case 'data':
      if (raw.eid !== undefined && typeof raw.eid !== 'string') return undefined;
      break;
    case 'done':
      break;
    case 'error': {
      const error = raw.error;
      return (raw.id === null || id !== null) && isPlainObject(error) && typeof error.code === 'string' && typeof error.message === 'string'
        ? (raw as unknown as ServerMessage)
        : undefined;
    }
    case 'ready': {
      const message: ReadyMessage = { t: 'ready', cid: typeof raw.cid === 'string' ? raw.cid : '' };
      const limits = parseLimits(raw.limits);
      if (limits) message.limits = limits;
      const dedupe = raw.dedupe;
      if (isPlainObject(dedupe) && isLimit(dedupe.windowMs) && isLimit(dedupe.maxEntries))
        message.dedupe = { windowMs: dedupe.windowMs, maxEntries: dedupe.maxEntries };
      if (typeof raw.exp === 'number' && Number.isFinite(raw.exp)) message.exp = raw.exp;
      return message;
    }
    case 'goaway':
      return typeof raw.reason === 'string' ? { t: 'goaway', reason: raw.reason } : { t: 'goaway' };
    case 'ping':
    case 'pong':
      return { t: raw.t };
    default:
      return undefined;
  }
  // result, data, done: an id is all they need.
  return id === null ? undefined : (raw as unknown as ServerMessage);
}

/** Joins messages already stringified into one frame: a single one bare, several as an array. */
export function joinFrame(texts: readonly string[]): string {
  return texts.length === 1 ? (texts[0] as string) : `[${texts.join(',')}]`;
}

/**
 * Turns an outgoing queue into frames, in order: each run of message texts joined into one text
 * frame ({@link joinFrame}), each binary frame on its own (a binary frame carries one message).
 */
export function joinFrames(items: readonly (string | Uint8Array)[]): Array<string | Uint8Array> {
  const frames: Array<string | Uint8Array> = [];
  let texts: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      texts.push(item);
      continue;
    }
    if (texts.length > 0) frames.push(joinFrame(texts));
    texts = [];
    frames.push(item);
  }
  if (texts.length > 0) frames.push(joinFrame(texts));
  return frames;
}

/** A frame holds one message or an array of messages sent in the same tick. */
export function encodeFrame(messages: readonly (ClientMessage | ServerMessage)[]): string {
  return joinFrame(messages.map((message) => JSON.stringify(message)));
}

/** Parses a text frame into its messages; throws `SyntaxError` on invalid JSON. */
export function decodeFrame(text: string): unknown[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : [parsed];
}
