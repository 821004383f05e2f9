import {
  type ClientMessage,
  CloseCode,
  type DedupeInfo,
  decodeBinaryFrame,
  encodeBinaryFrame,
  encodeFrameRecords,
  type ErrorShape,
  FRAMES_MEDIA_TYPE,
  SUBPROTOCOL,
} from '@duplex/core';
import { readDedupeHeader } from './dedupe-header.js';
import { HttpCallStreams } from './http-call-streams.js';
import { readEvent, readFrameRecords } from './http-frames.js';
import { readSse } from './sse-reader.js';
import type { WebSocketLike } from './web-socket.js';

/** Options of the HTTP transport (`httpTransport`, `autoTransport`). */
export interface HttpTransportOptions {
  /** The Fetch handler's base URL. @default the client's `url` with `ws` → `http` (`wss` → `https`) */
  url?: string | undefined;
  /** The fetch function. @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /** Longest URL a query or a batch of queries may take as a GET; longer ones go by POST (as a batch). @default 2_000 */
  maxUrlLength?: number | undefined;
}

type Handler<TEvent> = ((event: TEvent) => void) | null;
type Message = { t: string; id?: number | null; error?: ErrorShape; [field: string]: unknown };
type CallMessage = Extract<ClientMessage, { t: 'call' }>;
type SubMessage = Extract<ClientMessage, { t: 'sub' }>;

/**
 * The duplex protocol over HTTP and SSE behind the WebSocket interface the client's connection
 * drives (protocol.md §12): `hello` is kept for the requests, the calls of one tick leave as one
 * batch request, each `sub` is an SSE stream resumed with `Last-Event-ID`, a call answered with
 * a stream is read from its event stream as the client grants credit, and answers come back as
 * the messages a socket would deliver. So reconnects, resume, deadlines and retries are the
 * WebSocket client's own. A lost request or stream counts as a lost link (close 1006).
 */
export class HttpSocket implements WebSocketLike {
  readyState = 0;
  protocol = '';
  binaryType = 'arraybuffer';
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code: number; reason: string }> = null;
  onerror: Handler<unknown> = null;
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private query = '?codec=superjson';
  private headers: Record<string, string> = {};
  private batch: CallMessage[] = [];
  /** The binary frames of this tick's calls whose inputs hold bytes, by id: such a batch goes as frame records (§12.1). */
  private frames = new Map<number, Uint8Array>();
  private readonly aborts = new Map<number, AbortController>();
  /** Calls whose answer is being read as an event stream (streamed results): credit and cancel go there. */
  private readonly streamed = new Map<number, HttpCallStreams>();
  private readonly all = new AbortController();
  private dedupe: DedupeInfo | undefined;

  constructor(
    url: string,
    private readonly options: HttpTransportOptions = {},
  ) {
    this.base = (options.url ?? url.replace(/^ws/, 'http')).replace(/\/$/, '');
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    // Open only once the endpoint answers at all, so 'open' means reachable, as on a socket.
    this.fetch(this.base, { method: 'OPTIONS', signal: this.all.signal }).then(
      (response) => {
        void response.body?.cancel();
        if (this.readyState !== 0) return;
        this.dedupe = readDedupeHeader(response.headers);
        this.readyState = 1;
        this.protocol = SUBPROTOCOL;
        this.onopen?.({});
      },
      () => this.lost(1006, 'endpoint unreachable'),
    );
  }

  send(frame: string | Uint8Array): void {
    if (this.readyState !== 1) return;
    if (typeof frame !== 'string') {
      // A message whose payload holds bytes (a client created with `binary`): one call, sub or client stream item.
      const message = JSON.parse(decodeBinaryFrame(frame).text) as ClientMessage;
      if (message.t === 'call' && !message.stream) {
        this.frames.set(message.id, frame);
        return this.handle(message);
      }
      if (message.t === 'sub') return void this.subscribe(message, frame);
      return this.handle(message);
    }
    const parsed = JSON.parse(frame) as ClientMessage | ClientMessage[];
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) this.handle(message);
  }

  close(code = 1000, reason = ''): void {
    this.lost(code, reason);
  }

  terminate(): void {
    this.lost(1006, '');
  }

  private handle(message: ClientMessage): void {
    switch (message.t) {
      case 'hello':
        this.query = `?codec=${encodeURIComponent(message.codec)}`;
        if (message.params) this.headers['X-Duplex-Params'] = encodeURIComponent(JSON.stringify(message.params));
        // The session spans requests, so a mutation re-sent after a lost link runs once on the server.
        if (message.sid !== undefined) this.headers['X-Duplex-Session'] = message.sid;
        if (message.seq !== undefined) this.headers['X-Duplex-Seq'] = String(message.seq);
        // The server's dedupe window, stated on OPTIONS, as a socket's `ready` states it: the client then sends a mutation whose answer was lost again.
        return this.deliver(this.dedupe ? { t: 'ready', cid: 'http', dedupe: this.dedupe } : { t: 'ready', cid: 'http' });
      case 'ping':
        return this.deliver({ t: 'pong' });
      case 'pong':
        return;
      case 'credit':
        // A streamed result's response is read only as the client grants credit. Subscriptions have
        // no credit window over SSE: a stream that is not read holds the generator through TCP backpressure.
        this.streamed.get(message.id)?.grant(message.id, message.n);
        return;
      case 'call':
        if (message.stream) {
          const error = { code: 'NOT_IMPLEMENTED', message: 'client streams need the WebSocket transport' } as ErrorShape;
          return this.deliver({ t: 'error', id: message.id, error });
        }
        if (this.batch.push(message) === 1) queueMicrotask(() => void this.flush());
        return;
      case 'data':
      case 'done':
        return; // client stream items: never granted credit over HTTP (calls with streams are refused above)
      case 'sub':
        return void this.subscribe(message);
      case 'cancel':
        if (this.streamed.get(message.id)?.cancel(message.id)) return;
        this.aborts.get(message.id)?.abort();
        this.aborts.delete(message.id);
        return;
      case 'auth':
        // Every request creates its context from the params it carries: later requests use these.
        if (message.params) this.headers['X-Duplex-Params'] = encodeURIComponent(JSON.stringify(message.params));
        else delete this.headers['X-Duplex-Params'];
        return this.deliver({ t: 'result', id: message.id });
    }
  }

  /** Sends the calls of this tick: one as GET (query) or POST (mutation), several as one batch. */
  private async flush(): Promise<void> {
    const calls = this.batch;
    const frames = this.frames;
    this.batch = [];
    this.frames = new Map();
    const controller = new AbortController();
    const abort = () => controller.abort();
    this.all.signal.addEventListener('abort', abort, { once: true });
    // A call with a session seq or an idempotency key keeps them: it goes as a batch of one.
    const first = calls[0] as CallMessage;
    const maxUrlLength = this.options.maxUrlLength ?? 2_000;
    // Calls whose inputs hold bytes go as a batch of frame records, which only POST carries.
    let single = calls.length === 1 && first.seq === undefined && first.key === undefined && frames.size === 0 ? first : undefined;
    const init: RequestInit = { headers: { ...this.headers, Accept: `${FRAMES_MEDIA_TYPE}, application/json` }, signal: controller.signal };
    let url = '';
    if (single) {
      const input = single.input === undefined ? '' : JSON.stringify(single.input);
      url = `${this.base}/${encodeURIComponent(single.path)}${this.query}`;
      if (single.kind === 'query') url += input === '' ? '' : `&input=${encodeURIComponent(input)}`;
      else Object.assign(init, { method: 'POST', body: input });
      // A query too long for a URL (servers refuse long request lines, Node's at 16 KB) goes as a POST batch of one.
      if (url.length > maxUrlLength && single.kind === 'query') single = undefined;
    }
    if (single) this.aborts.set(single.id, controller);
    else if (frames.size > 0) {
      url = `${this.base}/${this.query}`;
      const records = calls.map((call) => frames.get(call.id) ?? encodeBinaryFrame(JSON.stringify(call), []));
      Object.assign(init, { method: 'POST', body: encodeFrameRecords(records) });
      (init.headers as Record<string, string>)['Content-Type'] = FRAMES_MEDIA_TYPE;
    } else {
      const body = JSON.stringify(calls.map(({ t: _t, ...call }) => call));
      url = `${this.base}/${this.query}&batch=${encodeURIComponent(body)}`;
      if (calls.some((call) => call.kind === 'mutation') || url.length > maxUrlLength) {
        url = `${this.base}/${this.query}`;
        Object.assign(init, { method: 'POST', body });
      }
    }
    try {
      const response = await this.fetch(url, init);
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        // Some call answered with a stream: the answers, then its items, as events (protocol.md §12).
        const streams = new HttpCallStreams(calls, single?.id, controller);
        for (const call of calls) this.streamed.set(call.id, streams);
        try {
          const whole = await streams.read(response.body as ReadableStream<Uint8Array>, (message, section) => this.deliver(message, section));
          if (!whole && !controller.signal.aborted) this.lost(1006, 'response cut before its streams ended');
        } finally {
          for (const call of calls) if (this.streamed.get(call.id) === streams) this.streamed.delete(call.id);
        }
        return;
      }
      if (response.headers.get('content-type')?.startsWith(FRAMES_MEDIA_TYPE)) {
        // Some answer holds bytes: every answer comes as a binary frame, in order (the one of a single call without its id).
        for (const { message, section } of readFrameRecords(new Uint8Array(await response.arrayBuffer()))) {
          this.deliver(single ? { ...message, id: single.id } : message, section);
        }
        return;
      }
      const answer = (await response.json()) as Message | Message[];
      if (Array.isArray(answer)) for (const message of answer) this.deliver(message);
      else if (answer.t === 'error' && answer.id === null) this.refused(answer.error as ErrorShape, calls.map((call) => call.id));
      else this.deliver({ ...answer, id: single?.id ?? null });
    } catch {
      // A cancelled call needs no answer; anything else lost the answers: the link is gone.
      if (!controller.signal.aborted) this.lost(1006, 'request failed');
    } finally {
      if (single) this.aborts.delete(single.id);
      this.all.signal.removeEventListener('abort', abort);
    }
  }

  /**
   * One subscription as an SSE stream; its messages are delivered with the subscription's id. One
   * whose input holds bytes is sent as a POST of its binary `frame` (§12.1), which carries its `lastEventId`.
   */
  private async subscribe(sub: SubMessage, frame?: Uint8Array): Promise<void> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    this.all.signal.addEventListener('abort', abort, { once: true });
    this.aborts.set(sub.id, controller);
    const headers: Record<string, string> = { ...this.headers, Accept: `text/event-stream, ${FRAMES_MEDIA_TYPE}` };
    if (sub.lastEventId !== undefined) headers['Last-Event-ID'] = sub.lastEventId;
    const input = sub.input === undefined ? '' : `&input=${encodeURIComponent(JSON.stringify(sub.input))}`;
    let ended = false;
    try {
      const url = `${this.base}/${encodeURIComponent(sub.path)}${this.query}`;
      const init: RequestInit = { headers, signal: controller.signal };
      if (frame) Object.assign(init, { method: 'POST', body: encodeFrameRecords([frame]), headers: { ...headers, 'Content-Type': FRAMES_MEDIA_TYPE } });
      const response = await this.fetch(frame ? url : `${url}${input}`, init);
      if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
        const answer = (await response.json()) as Message;
        ended = true;
        if (answer.t === 'error') this.refused(answer.error as ErrorShape, [sub.id]);
        return;
      }
      for await (const data of readSse(response.body as ReadableStream<Uint8Array>)) {
        const { message, section } = readEvent(data) as { message: Message; section?: Uint8Array };
        if (message.t === 'goaway') {
          ended = true;
          return this.deliver(message);
        }
        this.deliver({ ...message, id: sub.id }, section);
        if (message.t !== 'data') {
          ended = true;
          return;
        }
      }
    } catch {
      // handled below: a stream that broke off is a lost link
    } finally {
      this.aborts.delete(sub.id);
      this.all.signal.removeEventListener('abort', abort);
    }
    // Cut before its end: the connection reconnects and resumes every subscription from its last event id.
    if (!ended && !controller.signal.aborted) this.lost(1006, 'event stream lost');
  }

  /** A request refused as a whole: an auth refusal closes the link as the socket would (4401/4403). */
  private refused(error: ErrorShape, ids: number[]): void {
    if (error.code === 'UNAUTHORIZED') return this.lost(CloseCode.UNAUTHORIZED, error.message);
    if (error.code === 'FORBIDDEN') return this.lost(CloseCode.FORBIDDEN, error.message);
    for (const id of ids) this.deliver({ t: 'error', id, error });
  }

  /** Hands a message to the connection as a socket would: a text frame, or a binary frame when it carries an attachment section. */
  private deliver(message: Message, section?: Uint8Array): void {
    if (this.readyState !== 1) return;
    const text = JSON.stringify(message);
    this.onmessage?.({ data: section ? encodeBinaryFrame(text, [section]) : text });
  }

  private lost(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.all.abort();
    this.aborts.clear();
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
}
