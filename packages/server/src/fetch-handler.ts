import { sharedPeerOptions } from './shared-peer-options.js';
import {
  type AnyRouter,
  builtinCodecs,
  type CallMessage,
  type ClientMessage,
  type Clock,
  type Codec,
  concatBytes,
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeBinaryFrame,
  encodeBinaryFrame,
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
import { RequestPeer, type RequestPeerEvents } from './request-peer.js';
import { CallStreamResponse } from './call-stream-response.js';
import { type DevtoolsOptions, withDevtools } from './devtools.js';
import type { ServerPeer } from './server-peer.js';
import type { ErrorEvent, ServerTransport, SharedPeerOptions } from './server-peer-options.js';
import type { CreateContextOptions } from './socket-server-options.js';
import type { Instrumentation } from './instrumentation.js';
import { traceContextFromHeaders } from './trace-headers.js';
import { DEFAULT_SSE_PING_MS, SseWriter } from './sse-response.js';
import { acceptsFrames, type Answer, framesResponse, isFrames, readCallRecords, readSubRecord } from './http-frames.js';

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
  /**
   * Serves the devtools page (docs/devtools.md) on `devtools.path`, protected by a token and
   * answered to loopback addresses only (the address comes from `fetch`'s second argument).
   * @default undefined (off)
   */
  devtools?: DevtoolsOptions | undefined;
  clock?: Clock;
}

/**
 * Where a request came from, as the runtime tells it in the handler's second argument: Deno's
 * `ServeHandlerInfo` (`remoteAddr`), Bun's server (`requestIP`), or `toNodeListener`'s. Only the
 * devtools page reads it (loopback only); without it a request counts as remote.
 */
export type FetchRequestInfo = { remoteAddr?: { hostname?: string } } | { requestIP(request: Request): { address: string } | null };

/** Duplex over plain HTTP: queries over GET, mutations over POST, batches, subscriptions and streamed results over SSE. */
export interface FetchHandler {
  /** Answers one request; pass it to `Deno.serve`, `Bun.serve`, Hono, or `toNodeListener`. */
  fetch(request: Request, info?: FetchRequestInfo): Promise<Response>;
  /** Refuses new requests (503), ends SSE streams with `goaway`, lets calls finish up to `drainMs`. */
  close(opts?: { drainMs?: number }): Promise<void>;
  /** Requests being answered and SSE streams open. */
  stats(): { requests: number; streams: number };
}

type Outcome = {
  status: number;
  body: unknown;
  /** The attachment sections of the body's messages, by position, when some hold bytes (the body then goes as frame records). */
  sections?: Array<Uint8Array | undefined> | undefined;
  kind: 'query' | 'mutation' | 'subscription' | 'batch';
  paths: string[];
  /** Set when some call answered with a stream: the body's messages are the first events of an SSE response. */
  streams?: CallStreamResponse | undefined;
};

/** What the calls of one request came to: their answers (and their streams, if any), or the request's refusal. */
type CallAnswers = { refusal: ServerMessage } | { answers: Answer[]; streams: CallStreamResponse | undefined };

function addressOf(request: Request, info: FetchRequestInfo | undefined): string | undefined {
  if (!info) return undefined;
  if ('requestIP' in info && typeof info.requestIP === 'function') return info.requestIP(request)?.address;
  return (info as { remoteAddr?: { hostname?: string } }).remoteAddr?.hostname;
}

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
  return new TextDecoder().decode(await readBodyBytes(request, limit));
}

/** The bytes of a body up to `limit` bytes (attachments count); past it, PAYLOAD_TOO_LARGE without reading the rest. */
async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) fail('PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
  if (!request.body) return new Uint8Array(0);
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
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks);
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
  const callStreams = new Map<RequestPeer, CallStreamResponse>();
  let closing: Promise<void> | undefined;
  const { devtools, options: peerOptions } = withDevtools(options, {
    peers: (): Iterable<ServerPeer> => [...live].map((peer) => peer.peer),
    endpoint: () => ({ transport: 'http', httpBase: prefix }),
    now: (): number => clock.now(),
  });
  const createContext: SharedPeerOptions['createContext'] = ({ connectionParams, connectionId, transport }) => {
    const request = requests.get(transport) as Request;
    return options.createContext ? options.createContext({ request, connectionParams, connectionId }) : {};
  };
  // One subscription per request: each SSE stream is its own request and peer.
  const peerDefaults: SharedPeerOptions = { ...sharedPeerOptions(peerOptions, createContext), maxSubscriptions: 1 };
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

  /** A request-scoped peer; `onAbort` runs when the client goes away (not on Deno, see legacyAbort). */
  function open(request: Request, address: string | undefined, events: RequestPeerEvents, onAbort?: () => void): RequestPeer {
    const peer = new RequestPeer(peerDefaults, nanoid(), events, acceptsFrames(request));
    requests.set(peer, request);
    live.add(peer);
    devtools?.opened(peer.peer, address ?? 'unknown');
    if (onAbort && !legacyAbort) request.signal?.addEventListener('abort', onAbort, { once: true });
    return peer;
  }

  /**
   * Runs calls on a request-scoped peer; resolves once each has its answer (a streamed result's
   * `result` with `stream: true` counts, its items following on the returned streams), or with
   * the request's refusal.
   */
  function runCalls(
    request: Request,
    address: string | undefined,
    start: ClientMessage,
    calls: CallMessage[],
    withIds: boolean,
    binaryFrames: Map<number, Uint8Array> | undefined,
  ): Promise<CallAnswers> {
    return new Promise((resolve) => {
      const answers = new Map<number, Answer>();
      let streams: CallStreamResponse | undefined;
      let settled = false;
      const release = () => {
        live.delete(peer);
        callStreams.delete(peer);
        peer.dispose();
      };
      const finish = (result: CallAnswers) => {
        if (settled) return;
        settled = true;
        if ('refusal' in result) streams = undefined;
        if (streams) callStreams.set(peer, streams);
        else release();
        resolve('refusal' in result ? result : { answers: result.answers, streams });
      };
      const peer = open(
        request,
        address,
        {
          message(message, section) {
            if ((message.t === 'data' || message.t === 'done' || message.t === 'error') && streams?.has(message.id)) return streams.push(message, section);
            if (settled) return;
            if (message.t === 'error' && message.id === null) return finish({ refusal: message });
            if ((message.t !== 'result' && message.t !== 'error') || message.id === null || answers.has(message.id) || !calls.some((call) => call.id === message.id)) return;
            answers.set(message.id, { message, section });
            if (message.t === 'result' && message.stream) {
              streams ??= new CallStreamResponse(peer, withIds, release);
              streams.add(message.id);
            }
            if (answers.size === calls.length) finish({ answers: calls.map((call) => answers.get(call.id) as Answer), streams });
          },
          closed(error) {
            if (settled) streams?.fail(error);
            else finish({ refusal: { t: 'error', id: null, error } });
          },
        },
        () => {
          if (streams && settled) streams.end();
          else finish({ refusal: { t: 'error', id: null, error: { code: 'CANCELLED', message: 'the client went away' } } });
        },
      );
      peer.start(
        start,
        calls.filter((call) => !binaryFrames?.has(call.id)),
        binaryFrames ? [...binaryFrames.values()] : [],
      );
    });
  }

  function toCall(raw: unknown, index: number): CallMessage {
    const parsed = parseClientMessage({ ...(raw as object), t: 'call' });
    if (!parsed.ok || parsed.message.t !== 'call') return fail('BAD_REQUEST', `protocol error: call ${index}: ${parsed.ok ? 'not a call' : parsed.reason}`);
    if (parsed.message.stream) return fail('NOT_IMPLEMENTED', 'client streams need the WebSocket transport');
    return parsed.message;
  }

  async function calls(request: Request, address: string | undefined, url: URL, path: string): Promise<Outcome> {
    const start = hello(request, url);
    let batch: CallMessage[];
    let single: 'query' | 'mutation' | undefined;
    let binaryFrames: Map<number, Uint8Array> | undefined;
    if (path === '' && isFrames(request)) {
      // A batch as frame records: calls whose inputs hold bytes keep their binary frames for the peer (§12.1).
      ({ calls: batch, binaryFrames } = readCallRecords(await readBodyBytes(request, maxBytes), codecOf(start), maxDepth, toCall));
      if (new Set(batch.map((call) => call.id)).size !== batch.length) fail('BAD_REQUEST', 'protocol error: ids in a batch must be unique');
    } else if (path === '') {
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
    if (tc) for (const call of batch) if (call.tc === undefined) binaryFrames = withTraceContext(call, tc, binaryFrames);
    const answer = await runCalls(request, address, start, batch, single === undefined, binaryFrames);
    const paths = batch.map((call) => call.path);
    if ('refusal' in answer) return { status: statusOf(answer.refusal), body: answer.refusal, kind: single ?? 'batch', paths };
    const { answers, streams: open } = answer;
    const sections = answers.some((answer) => answer.section) ? answers.map((answer) => answer.section) : undefined;
    if (single) {
      const { id: _id, ...message } = (answers[0] as Answer).message as ServerMessage & { id: number };
      return { status: statusOf(message as ServerMessage), body: message, sections, kind: single, paths, streams: open };
    }
    const messages = answers.map((answer) => answer.message);
    return { status: messages.every((message) => message.t === 'result') ? 200 : 207, body: messages, sections, kind: 'batch', paths, streams: open };
  }

  /** The answers, then the streamed results' items, as one event stream (protocol.md §12). */
  function streamedAnswer(request: Request, outcome: Outcome & { streams: CallStreamResponse }, cors: Record<string, string>): Response {
    const open = outcome.streams;
    const writer = new SseWriter({ clock, pingMs, onCancel: () => open.end() });
    const messages = (Array.isArray(outcome.body) ? outcome.body : [outcome.body]) as ServerMessage[];
    for (const [index, message] of messages.entries()) writer.write(message, outcome.sections?.[index]);
    open.attach(writer);
    const headers = { ...cors, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...extra(request, outcome.kind, outcome.paths, outcome.status) };
    return new Response(writer.body, { status: outcome.status, headers });
  }

  /** The codec a request chose, undefined when unknown (its hello then refuses the request). */
  function codecOf(start: ClientMessage): Codec | undefined {
    const codecs = options.codecs ?? builtinCodecs;
    const name = start.t === 'hello' ? start.codec : '';
    return Object.hasOwn(codecs, name) ? codecs[name] : undefined;
  }

  /**
   * A subscription over SSE: from the URL (GET), or from one `sub` message in a binary frame
   * record (POST, its input holding bytes, protocol.md §12.1), which carries its own `lastEventId`.
   */
  async function subscribe(request: Request, address: string | undefined, url: URL, path: string, cors: Record<string, string>): Promise<Response> {
    const start = hello(request, url);
    if (request.method === 'POST') {
      const frame = readSubRecord(await readBodyBytes(request, maxBytes), path, codecOf(start), maxDepth);
      return stream(request, address, path, cors, (peer) => peer.start(start, [], [frame]));
    }
    const input = param(url, 'input');
    const sub: ClientMessage = { t: 'sub', id: 0, path };
    if (input !== null && input !== '') sub.input = parseJson(input, 'the input');
    const lastEventId = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
    if (lastEventId !== null) sub.lastEventId = lastEventId;
    const tc = options.instrumentation ? traceContextFromHeaders(request.headers) : undefined;
    if (tc) sub.tc = tc;
    return stream(request, address, path, cors, (peer) => peer.start(start, [sub]));
  }

  /** Opens a request peer, `begin` starts its subscription; resolves with the event stream once it is ready, or the refusal. */
  function stream(request: Request, address: string | undefined, path: string, cors: Record<string, string>, begin: (peer: RequestPeer) => void): Promise<Response> {
    return new Promise((resolve) => {
      let writer: SseWriter | undefined;
      const end = () => {
        live.delete(peer);
        streams.delete(peer);
        peer.dispose();
        writer?.end();
      };
      const peer = open(request, address, {
        message(message, section) {
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
          writer.write(message.t === 'data' || message.t === 'done' ? stripId(message) : message, section);
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
      });
      begin(peer);
    });
  }

  function extra(request: Request, kind: Outcome['kind'], paths: string[], status: number): Record<string, string> {
    const headers = options.responseHeaders?.({ request, kind, paths, status });
    return headers ? headerRecord(new Headers(headers)) : {};
  }

  async function fetch(request: Request, info?: FetchRequestInfo): Promise<Response> {
    // Only the devtools read the client's address (their page answers loopback only).
    const address = devtools ? addressOf(request, info) : undefined;
    const page = devtools?.handleFetch(request, address);
    if (page) return page;
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
      if (kind === 'subscription' && (request.method === 'GET' || isFrames(request))) return await subscribe(request, address, url, path, cors);
      const outcome = await calls(request, address, url, path);
      if (outcome.streams) return streamedAnswer(request, outcome as Outcome & { streams: CallStreamResponse }, cors);
      const headers = { ...cors, ...extra(request, outcome.kind, outcome.paths, outcome.status) };
      if (outcome.sections) return framesResponse(outcome.body, outcome.sections, outcome.status, headers);
      return Response.json(outcome.body, { status: outcome.status, headers: { ...JSON_HEADERS, ...headers } });
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
        // A streamed result still open is cut: the client sees its link lost (a retryable SERVICE_UNAVAILABLE).
        for (const open of [...callStreams.values()]) open.end();
        for (const peer of live) peer.dispose();
        live.clear();
      })();
      return closing;
    },
    stats: () => ({ requests: live.size - streams.size, streams: streams.size }),
  };
}

/** Gives `call` the request's trace context; a call sent as a binary frame gets a frame that carries it too. */
function withTraceContext(call: CallMessage, tc: NonNullable<CallMessage['tc']>, binaryFrames: Map<number, Uint8Array> | undefined): typeof binaryFrames {
  call.tc = tc;
  const frame = binaryFrames?.get(call.id);
  if (binaryFrames && frame) {
    const { text, attachments } = decodeBinaryFrame(frame);
    binaryFrames.set(call.id, encodeBinaryFrame(JSON.stringify({ ...(JSON.parse(text) as object), tc }), [attachments.section]));
  }
  return binaryFrames;
}

function statusOf(message: ServerMessage): number {
  return message.t === 'error' ? HTTP_STATUS[message.error.code] ?? 500 : 200;
}

function stripId<TMessage extends { id: number }>(message: TMessage): Omit<TMessage, 'id'> {
  const { id: _id, ...rest } = message;
  return rest;
}
