import { DecodedInput } from './active-entry.js';
import { byteLength } from './byte-length.js';
import { fromWireTraceContext, type TraceContext, type WireTraceContext } from '@duplex/core';

/**
 * Hooks a server calls to let tracing and metrics see its connections, calls and subscriptions
 * (`otelInstrumentation()` from `@duplex/server/otel` is one). The server core knows only this
 * interface; with no `instrumentation` option it calls none of it (docs/observability.md).
 */
export interface Instrumentation {
  /** A connection's peer started; the hooks it returns see that connection, undefined skips it. */
  connection(info: { connectionId: string }): ConnectionInstrumentation | undefined;
  /** The server cut a connection whose client stopped reading (too many bytes pending). */
  slowConsumerCut?(info: { connectionId: string }): void;
}

/** What an {@link Instrumentation} sees of one connection. */
export interface ConnectionInstrumentation {
  /** A frame arrived (text or binary), before it is parsed. */
  received(frame: string | Uint8Array): void;
  /** A frame left (after batching). */
  sent(frame: string | Uint8Array): void;
  /** The `hello` was accepted: the client's session id and its highest `seq` on earlier connections. */
  hello(info: { sid: string | undefined; seq: number | undefined }): void;
  /** A call or subscription to an existing procedure starts. */
  request(info: RequestInfo): RequestInstrumentation;
  /** The connection is released (once). */
  closed(): void;
}

/** One call or subscription as an {@link Instrumentation} sees it when it starts. */
export interface RequestInfo {
  /** The request id on its connection. */
  id: number;
  kind: 'query' | 'mutation' | 'subscription';
  path: string;
  /** UTF-8 size of the input as it arrived in a text frame; undefined without input or from a binary frame. */
  inputBytes: number | undefined;
  /** The caller's W3C trace context (`call.tc` / `sub.tc`), when it sent one. */
  traceContext: TraceContext | undefined;
}

/** What an {@link Instrumentation} does for one call or subscription. */
export interface RequestInstrumentation {
  /** Runs the handler (with its middleware) so that user code sees the request's context. */
  run<TArg, TResult>(fn: (arg: TArg) => TResult, arg: TArg): TResult;
  /** Wraps a subscription's iterator so every pull runs in the request's context. */
  iterator<TValue>(iterator: AsyncIterator<TValue>): AsyncIterator<TValue>;
  /** A `result` or `data` frame for this request was queued. */
  sent(frame: string | Uint8Array): void;
  /** The request is over: no error, or the error it ended with (`CANCELLED` when the client stopped it). Idempotent. */
  end(error?: { code: string; message: string }): void;
}

/** The {@link RequestInfo} of a `call` or `sub` message, given its input as it arrived. */
export function requestInfo(
  message: { t: 'call'; id: number; kind: 'query' | 'mutation'; path: string; tc?: WireTraceContext } | { t: 'sub'; id: number; path: string; tc?: WireTraceContext },
  rawInput: unknown,
): RequestInfo {
  // Measured only here, with instrumentation on; a binary frame's input arrives already decoded.
  const inputBytes = rawInput === undefined || rawInput instanceof DecodedInput ? undefined : byteLength(JSON.stringify(rawInput));
  return {
    id: message.id,
    kind: message.t === 'sub' ? 'subscription' : message.kind,
    path: message.path,
    inputBytes,
    traceContext: message.tc ? fromWireTraceContext(message.tc) : undefined,
  };
}
