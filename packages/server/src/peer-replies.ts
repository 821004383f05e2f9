import { type Codec, DuplexError, encodeBinaryFrame, type ErrorShape, type ProcedureKind, type ServerMessage } from '@duplex/core';
import type { ActiveEntry } from './active-entry.js';
import { formatErrorShape } from './format-error.js';
import { encodePayload } from './payload-cache.js';
import type { RequestTable } from './request-table.js';
import type { ServerPeerOptions, SharedPeerOptions } from './server-peer-options.js';

/** What the reply functions need from their connection (the peer; a function call, no object per reply). */
export interface ReplyHost {
  readonly id: string;
  /** The connection's context, as `onError` and the error formatter see it. */
  readonly ctx: unknown;
  readonly codec: Codec;
  readonly options: ServerPeerOptions | SharedPeerOptions;
  /** The running calls and subscriptions. */
  readonly requests: RequestTable;
  /** Queues a frame in the outgoing batch (nothing once the connection is closed). */
  push(frame: string | Uint8Array): void;
}

/** Hands an error to the server's `onError` hook; a hook that throws is ignored. */
export function report(host: ReplyHost, error: DuplexError, path: string | undefined, kind: ProcedureKind | undefined): void {
  const onError = host.options.onError;
  if (!onError) return;
  try {
    onError({ error, path, kind, connectionId: host.id, ctx: host.ctx });
  } catch {
    // A throwing onError hook must not take the connection down.
  }
}

/**
 * The error as the client sees it: only errors thrown as DuplexError on purpose carry their
 * message (unless `exposeErrors`), then the router's `errorFormatter`, if any.
 */
export function shape(host: ReplyHost, error: DuplexError, cause: unknown, path?: string, kind?: ProcedureKind): ErrorShape {
  const expose = host.options.exposeErrors === true;
  const masked = !(cause instanceof DuplexError) && !expose;
  const shaped: ErrorShape = { code: error.code, message: masked ? 'Internal server error' : error.message };
  if (error.code === 'BAD_REQUEST' && error.issues) shaped.issues = [...error.issues];
  if (error.retryable && !masked) shaped.retryable = true;
  if (expose) {
    const stack = cause instanceof Error ? cause.stack : error.stack;
    if (stack) shaped.stack = stack;
  }
  const formatter = host.options.router['~def'].errorFormatter;
  if (!formatter) return shaped;
  const onFailure = (failure: DuplexError) => report(host, failure, path, kind);
  return formatErrorShape(formatter, shaped, { error, path, kind, ctx: host.ctx, onFailure });
}

/** Queues an `error` message for `id` (null: a frame that named no usable id). */
export function sendError(host: ReplyHost, id: number | null, error: DuplexError, cause: unknown = error, path?: string, kind?: ProcedureKind): void {
  enqueue(host, { t: 'error', id, error: shape(host, error, cause, path, kind) });
}

/** Queues a message without a payload. */
export function enqueue(host: ReplyHost, message: ServerMessage): void {
  host.push(JSON.stringify(message));
}

/**
 * Queues a `result` or `data` message. The payload is encoded on its own (and shared between
 * subscriptions that send the same object in this turn) and spliced into the envelope text; one
 * with binary values becomes a binary frame (protocol.md §2.1). A payload that cannot be encoded
 * answers `INTERNAL_SERVER_ERROR` instead (and ends the stream that sent it).
 */
export function sendPayload(host: ReplyHost, message: { t: 'result' | 'data'; id: number; eid?: string }, data: unknown, owner: ActiveEntry): void {
  let frame: string | Uint8Array;
  try {
    const payload = encodePayload(host.codec, data, owner);
    const eid = message.eid === undefined ? '' : `,"eid":${JSON.stringify(message.eid)}`;
    const head = `{"t":"${message.t}","id":${message.id}${eid}`;
    if (typeof payload === 'object') frame = encodeBinaryFrame(`${head},"data":${payload.text}}`, payload.attachments);
    else frame = `${head}${payload === undefined ? '' : `,"data":${payload}`}}`;
  } catch (cause) {
    const error = new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'value could not be serialized', cause });
    owner.trace?.end(error);
    report(host, error, undefined, undefined);
    if (message.t === 'data') host.requests.drop(message.id, owner, error);
    sendError(host, message.id, error, cause);
    return;
  }
  owner.trace?.sent(frame);
  host.push(frame);
}
