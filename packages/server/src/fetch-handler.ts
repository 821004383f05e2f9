import { sharedPeerOptions } from './shared-peer-options.js';
import {
  type AnyRouter,
  type CallMessage,
  type ClientMessage,
  type Clock,
  type Codec,
  concatBytes,
  DEFAULT_MAX_MESSAGE_BYTES,
  DuplexError,
  type ErrorCode,
  type InferRouterContext,
  parseBoundedJson,
  parseClientMessage,
  type ServerMessage,
  systemClock,
} from '@duplex/core';
import { nanoid } from 'nanoid';
import { type DedupeStore, defaultDedupeStore } from './dedupe-store.js';
import { optionsHeaders } from './options-headers.js';
import { DEFAULT_DRAIN_MS, drainCalls } from './drain.js';
import { headerRecord } from './header-record.js';
import { HTTP_STATUS } from './http-status.js';
import { type PeerLimitOptions, resolvePeerLimits } from './limits.js';
import { type AllowedOrigins, checkOrigin } from './origin.js';
import { RequestPeer } from './request-peer.js';
import type { ErrorEvent, ServerTransport, SharedPeerOptions } from './server-peer-options.js';
import type { CreateContextOptions } from './socket-server-options.js';
import type { Instrumentation } from './instrumentation.js';
import { traceContextFromHeaders } from './trace-headers.js';
import { DEFAULT_SSE_PING_MS, SseWriter } from './sse-response.js';

type MaybePromise<TValue> = TValue | Promise<TValue>;

/**
 * Options of {@link createFetchHandler}: those of the socket adapters that apply to HTTP.
 * `maxMessageBytes` bounds a request body or an `input`/`batch` query parameter (more gets 413).
 */
export interface FetchHandlerOptions<TRouter extends AnyRouter> extends PeerLimitOptions {
  router: TRouter;
  /** Builds the context once per request, from the `X-Duplex-Params` header as `connectionParams`. */
  createContext?: (opts: CreateContextOptions<Request>) => MaybePromise<InferRouterContext<TRouter>>;
  /** Browser origins allowed to call (and answered with CORS headers). @default same-origin and origin-less clients only */
  allowedOrigins?: AllowedOrigins<Request>;
  /** Send messages and stacks of unexpected errors to clients. @default false */
  exposeErrors?: boolean;
  onError?: (event: ErrorEvent) => void;
  /**
   * Where completed mutations are remembered: a mutation re-sent with the same session (`X-Duplex-Session`)
   * and `seq`, or the same idempotency `key`, runs once (docs/reliability.md). `false` turns it off.
   * @default the process-wide MemoryDedupeStore
   */
  dedupe?: DedupeStore | false;
  /** Where the handler is mounted: the start of the path stripped before the procedure path. @default '/' */
  prefix?: string;
  /** Codecs clients may choose with `?codec=`. @default { superjson, json } */
  codecs?: Readonly<Record<string, Codec>>;
  /** Time `createContext` has per request. @default 10_000 */
  helloTimeoutMs?: number;
  /** SSE comment pings on quiet streams; `false` turns them off. @default { intervalMs: 10_000 } */
  keepAlive?: { intervalMs?: number } | false;
  /** Extra response headers, e.g. `Cache-Control` for queries (GET responses are cacheable). */
  /**
   * Tracing and metrics: pass `otelInstrumentation()` from `@duplex/server/otel`
   * (docs/observability.md). Without it the handler calls no hook at all.
   * @default undefined (off)
   */
  instrumentation?: Instrumentation;
  responseHeaders?: (info: { request: Request; kind: 'query' | 'mutation' | 'subscription' | 'batch'; paths: string[]; status: number }) => HeadersInit | undefined;
  clock?: Clock;
}

/** Duplex over plain HTTP: queries over GET, mutations over POST, batches, subscriptions over SSE. */
export interface FetchHandler {
  /** Answers one request; pass it to `Deno.serve`, `Bun.serve`, Hono, or `toNodeListener`. */
  fetch(request: Request): Promise<Response>;
  /** Refuses new requests (503), ends SSE streams with `goaway`, lets calls finish up to `drainMs`. */
  close(opts?: { drainMs?: number }): Promise<void>;
  /** Requests being answered and SSE streams open. */
  stats(): { requests: number; streams: number };
}

type Outcome = { status: number; body: unknown; kind: 'query' | 'mutation' | 'subscription' | 'batch'; paths: string[] };

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * Deno.serve (2.x without --unstable-no-legacy-abort) aborts `request.signal` after every
 * successful response too, and warns when it is read; there a call whose client left runs to its
 * end instead. SSE streams never use the signal: a reader that goes away cancels the body.
 */
const legacyAbort = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

function errorBody(code: ErrorCode, message: string): ServerMessage {
  return { t: 'error', id: null, error: { code, message } };
}

function fail(code: ErrorCode, message: string): never {
  throw new DuplexError({ code, message });
}

/** Reads a body up to `limit` bytes; past it, PAYLOAD_TOO_LARGE without reading the rest. */
async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) fail('PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      fail('PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : concatBytes(chunks));
}

/**
 * Serves a router over HTTP with the Fetch API (`Request → Response`), with the same context,
 * middleware, limits, origin rules and error shapes as the WebSocket adapters (protocol.md §12).
 * @example
 * const duplex = createFetchHandler({ router: appRouter, prefix: '/rpc' });
 * Deno.serve(duplex.fetch);   // Bun.serve({ fetch: duplex.fetch }); Hono: app.all('/rpc/*', (c) => duplex.fetch(c.req.raw))
 */
export function createFetchHandler<TRouter extends AnyRouter>(options: FetchHandlerOptions<TRouter>): FetchHandler {
  const clock = options.clock ?? systemClock;
  const prefix = (options.prefix ?? '/').replace(/\/$/, '');
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const pingMs = options.keepAlive === false ? 2 ** 31 - 1 : (options.keepAlive?.intervalMs ?? DEFAULT_SSE_PING_MS);
  const requests = new WeakMap<ServerTransport, Request>();
  const probeHeaders = optionsHeaders(options.dedupe === false ? undefined : (options.dedupe ?? defaultDedupeStore()));
  const live = new Set<RequestPeer>();
  const streams = new Map<RequestPeer, SseWriter>();
  let closing: Promise<void> | undefined;
  const createContext: SharedPeerOptions['createContext'] = ({ connectionParams, connectionId, transport }) => {
    const request = requests.get(transport) as Request;
    return options.createContext ? options.createContext({ request, connectionParams, connectionId }) : {};
  };
  // One subscription per request: each SSE stream is its own request and peer.
  const peerDefaults: SharedPeerOptions = { ...sharedPeerOptions(options, createContext), maxSubscriptions: 1 };
  peerDefaults.limits = resolvePeerLimits(peerDefaults);
  const maxDepth = peerDefaults.limits.maxJsonDepth;

  function parseJson(text: string, what: string): unknown {
    try {
      return parseBoundedJson(text, maxDepth);
    } catch (error) {
      return fail('BAD_REQUEST', `protocol error: ${what} is not valid JSON${error instanceof SyntaxError ? '' : ` (${(error as Error).message})`}`);
    }
  }

  function hello(request: Request, url: URL): ClientMessage {
    const header = request.headers.get('x-duplex-params');
    let params: unknown;
    if (header !== null) {
      let text: string;
      try {
        text = decodeURIComponent(header);
      } catch {
        return fail('BAD_REQUEST', 'protocol error: X-Duplex-Params is not URL-encoded JSON');
      }
      params = parseJson(text, 'X-Duplex-Params');
      if (typeof params !== 'object' || params === null || Array.isArray(params)) fail('BAD_REQUEST', 'protocol error: X-Duplex-Params must be an object');
    }
    const codec = url.searchParams.get('codec') ?? 'superjson';
    const message: Extract<ClientMessage, { t: 'hello' }> = { t: 'hello', v: 1, codec };
    if (params !== undefined) message.params = params as Record<string, unknown>;
    // The client's session spans requests, so a re-sent mutation is answered from the dedupe window.
    const sid = request.headers.get('x-duplex-session');
    if (sid !== null) message.sid = sid;
    const seq = request.headers.get('x-duplex-seq');
    if (seq !== null) message.seq = Number(seq);
    return message;
  }

  function param(url: URL, name: string): string | null {
    const value = url.searchParams.get(name);
    if (value !== null && value.length > maxBytes) fail('PAYLOAD_TOO_LARGE', `${name} over ${maxBytes} bytes`);
    return value;
  }

  function open(request: Request, events: ConstructorParameters<typeof RequestPeer>[2], abortable: boolean): RequestPeer {
    const peer = new RequestPeer(peerDefaults, nanoid(), events);
    requests.set(peer, request);
    live.add(peer);
    if (abortable && !legacyAbort) request.signal?.addEventListener('abort', () => peer.dispose(), { once: true });
    return peer;
  }

  /** Runs calls on a request-scoped peer; resolves with one answer per call, or the request's refusal. */
  function runCalls(request: Request, start: ClientMessage, calls: CallMessage[]): Promise<ServerMessage[] | ServerMessage> {
    return new Promise((resolve) => {
      const answers = new Map<number, ServerMessage>();
      const finish = (result: ServerMessage[] | ServerMessage) => {
        live.delete(peer);
        peer.dispose();
        resolve(result);
      };
      const peer = open(request, {
        message(message) {
          if (message.t === 'error' && message.id === null) return finish(message);
          if ((message.t !== 'result' && message.t !== 'error') || message.id === null || !calls.some((call) => call.id === message.id)) return;
          answers.set(message.id, message.t === 'result' && message.stream ? streamsNeedSocket(message.id) : message);
          if (answers.size === calls.length) finish(calls.map((call) => answers.get(call.id) as ServerMessage));
        },
        closed: (error) => finish({ t: 'error', id: null, error }),
      }, true);
      peer.start(start, calls);
    });
  }

  function toCall(raw: unknown, index: number): CallMessage {
    const parsed = parseClientMessage({ ...(raw as object), t: 'call' });
    if (!parsed.ok || parsed.message.t !== 'call') return fail('BAD_REQUEST', `protocol error: call ${index}: ${parsed.ok ? 'not a call' : parsed.reason}`);
    if (parsed.message.stream) return fail('NOT_IMPLEMENTED', 'client streams need the WebSocket transport');
    return parsed.message;
  }

  async function calls(request: Request, url: URL, path: string): Promise<Outcome> {
    const start = hello(request, url);
    let batch: CallMessage[];
    let single: 'query' | 'mutation' | undefined;
    if (path === '') {
      const text = request.method === 'GET' ? param(url, 'batch') : await readBody(request, maxBytes);
      const items = parseJson(text ?? '', 'the batch');
      if (!Array.isArray(items) || items.length === 0) fail('BAD_REQUEST', 'protocol error: a batch is a non-empty array of calls');
      batch = items.map(toCall);
      if (request.method === 'GET' && batch.some((call) => call.kind !== 'query')) fail('BAD_REQUEST', 'protocol error: a GET batch holds queries only');
      if (new Set(batch.map((call) => call.id)).size !== batch.length) fail('BAD_REQUEST', 'protocol error: ids in a batch must be unique');
    } else {
      single = request.method === 'GET' ? 'query' : 'mutation';
      const text = single === 'query' ? param(url, 'input') : await readBody(request, maxBytes);
      const call: CallMessage = { t: 'call', id: 0, kind: single, path };
      if (text !== null && text !== '') call.input = parseJson(text, 'the input');
      batch = [call];
    }
    // The request's trace headers stand for every call it carries that has no `tc` of its own.
    const tc = options.instrumentation ? traceContextFromHeaders(request.headers) : undefined;
    if (tc) for (const call of batch) call.tc ??= tc;
    const answer = await runCalls(request, start, batch);
    const paths = batch.map((call) => call.path);
    if (!Array.isArray(answer)) return { status: statusOf(answer), body: answer, kind: single ?? 'batch', paths };
    if (single) {
      const { id: _id, ...message } = answer[0] as ServerMessage & { id: number };
      return { status: statusOf(message as ServerMessage), body: message, kind: single, paths };
    }
    return { status: answer.every((message) => message.t === 'result') ? 200 : 207, body: answer, kind: 'batch', paths };
  }

  function subscribe(request: Request, url: URL, path: string, cors: Record<string, string>): Promise<Response> {
    const start = hello(request, url);
    const input = param(url, 'input');
    const sub: ClientMessage = { t: 'sub', id: 0, path };
    if (input !== null && input !== '') sub.input = parseJson(input, 'the input');
    const lastEventId = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
    if (lastEventId !== null) sub.lastEventId = lastEventId;
    const tc = options.instrumentation ? traceContextFromHeaders(request.headers) : undefined;
    if (tc) sub.tc = tc;
    return new Promise((resolve) => {
      let writer: SseWriter | undefined;
      const end = () => {
        live.delete(peer);
        streams.delete(peer);
        peer.dispose();
        writer?.end();
      };
      const peer = open(request, {
        message(message) {
          if (message.t === 'ready') {
            writer = new SseWriter({ clock, pingMs, onCancel: end });
            streams.set(peer, writer);
            peer.setBackpressure(() => writer?.whenWritable());
            const headers = { ...cors, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...extra(request, 'subscription', [path], 200) };
            return resolve(new Response(writer.body, { status: 200, headers }));
          }
          if (!writer) {
            if (message.t === 'error') {
              end();
              resolve(Response.json(message, { status: statusOf(message), headers: cors }));
            }
            return;
          }
          if (message.t !== 'data' && message.t !== 'done' && message.t !== 'error' && message.t !== 'goaway') return;
          writer.write(message.t === 'data' || message.t === 'done' ? stripId(message) : message);
          if (message.t !== 'data') end();
        },
        closed(error) {
          const message: ServerMessage = { t: 'error', id: null, error };
          if (writer) {
            writer.write(message);
            end();
          } else {
            end();
            resolve(Response.json(message, { status: statusOf(message), headers: cors }));
          }
        },
      }, false);
      peer.start(start, [sub]);
    });
  }

  function extra(request: Request, kind: Outcome['kind'], paths: string[], status: number): Record<string, string> {
    const headers = options.responseHeaders?.({ request, kind, paths, status });
    return headers ? headerRecord(new Headers(headers)) : {};
  }

  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const origin = request.headers.get('origin');
    if (!checkOrigin({ origin, host: request.headers.get('host') ?? url.host, request }, options.allowedOrigins)) {
      return Response.json(errorBody('FORBIDDEN', 'origin not allowed'), { status: 403 });
    }
    const cors: Record<string, string> = origin === null ? {} : { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { ...cors, ...probeHeaders } });
    if (closing) return Response.json(errorBody('SERVICE_UNAVAILABLE', 'server is shutting down'), { status: 503, headers: cors });
    if (!url.pathname.startsWith(prefix)) return Response.json(errorBody('NOT_FOUND', 'not a duplex path'), { status: 404, headers: cors });
    try {
      const path = decodeURIComponent(url.pathname.slice(prefix.length).replace(/^\//, ''));
      if (request.method !== 'GET' && request.method !== 'POST') {
        return Response.json(errorBody('BAD_REQUEST', 'use GET for queries and subscriptions, POST for mutations and batches'), { status: 405, headers: { ...cors, Allow: 'GET, POST, OPTIONS' } });
      }
      const kind = path === '' ? undefined : options.router['~def'].procedures.get(path)?.['~def'].kind;
      if (kind === 'subscription' && request.method === 'GET') return await subscribe(request, url, path, cors);
      const outcome = await calls(request, url, path);
      return Response.json(outcome.body, { status: outcome.status, headers: { ...cors, ...JSON_HEADERS, ...extra(request, outcome.kind, outcome.paths, outcome.status) } });
    } catch (cause) {
      const error = DuplexError.from(cause);
      const code = cause instanceof DuplexError ? error.code : 'BAD_REQUEST';
      return Response.json(errorBody(code, cause instanceof DuplexError ? error.message : 'protocol error: malformed request'), { status: HTTP_STATUS[code], headers: cors });
    }
  }

  return {
    fetch,
    close(opts = {}) {
      closing ??= (async () => {
        for (const [peer, writer] of streams) {
          const goaway: ServerMessage = { t: 'goaway', reason: 'server shutting down' };
          writer.write(goaway);
          streams.delete(peer);
          live.delete(peer);
          peer.dispose();
          writer.end();
        }
        await drainCalls(
          [...live].map((peer) => peer.peer),
          opts.drainMs ?? DEFAULT_DRAIN_MS,
          clock,
        );
        for (const peer of live) peer.dispose();
        live.clear();
      })();
      return closing;
    },
    stats: () => ({ requests: live.size - streams.size, streams: streams.size }),
  };
}

function statusOf(message: ServerMessage): number {
  return message.t === 'error' ? HTTP_STATUS[message.error.code] ?? 500 : 200;
}

function stripId<TMessage extends { id: number }>(message: TMessage): Omit<TMessage, 'id'> {
  const { id: _id, ...rest } = message;
  return rest;
}

/** The answer to a call whose result is a stream: over HTTP, streams need the WebSocket transport (docs/streams.md). */
function streamsNeedSocket(id: number): ServerMessage {
  return { t: 'error', id, error: { code: 'NOT_IMPLEMENTED', message: 'streamed results need the WebSocket transport' } };
}
