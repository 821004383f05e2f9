import {
  type AnyProcedure,
  type AnyRouter,
  builtinCodecs,
  type CallMessage,
  type AuthMessage,
  type ClientMessage,
  type HelloMessage,
  type ReadyMessage,
  type Clock,
  CloseCode,
  type Codec,
  type CreditMessage,
  DEFAULT_STREAM_WINDOW,
  DuplexError,
  encodeBinaryFrame,
  type ErrorShape,
  findUnsafeKey,
  type InputDataMessage,
  isStreamSchema,
  isStreamSource,
  mayContainUnsafeKey,
  PROTOCOL_VERSION,
  type ProcedureKind,
  parseBoundedJson,
  parseClientMessage,
  type ServerMessage,
  type StandardSchemaV1,
  streamIterator,
  type SubscribeMessage,
  systemClock,
  type TimerHandle,
  toCloseReason,
} from '@duplex/core';
import { callProcedure } from './call-procedure.js';
import { CreditWindow } from './credit-window.js';
import { CredentialExpiry } from './credential-expiry.js';
import { recheckSubscription, } from './recheck-subscription.js';
import { ActiveEntry, NO_ENTRIES } from './active-entry.js';
import { EXPIRED, KEY_MISMATCH, OPTED_OUT, STREAMED, storeFailure } from './dedupe-answers.js';
import { type DedupeClaim, type DedupeOutcome, type DedupeStore, defaultDedupeStore } from './dedupe-store.js';
import { decodePayload } from './decode-input.js';
import { formatErrorShape } from './format-error.js';
import { inputFingerprint } from './input-fingerprint.js';
import { InputStream } from './input-stream.js';
import { type ConnectionInstrumentation, type Instrumentation, requestInfo } from './instrumentation.js';
import {
  advertisedLimits,
  MAX_TIMER_DELAY_MS,
  type PeerLimitOptions,
  type PeerLimits,
  RequestBudget,
  resolvePeerLimits,
} from './limits.js';
import { encodePayload } from './payload-cache.js';
import { readBinaryMessage } from './read-binary-message.js';
import { ServerOutbox } from './server-outbox.js';
import { type PumpHost, pumpItems } from './stream-pump.js';
import { applySlowReaderPolicy } from './slow-reader-buffer.js';

/** What a ServerPeer needs from a socket: the ~5 operations every WebSocket server offers. */
export interface ServerTransport {
  /** Sends a frame: a string as a text frame, bytes as a binary frame (protocol.md §2). */
  send(frame: string | Uint8Array): void;
  close(code: number, reason: string): void;
  /**
   * Backpressure: a promise that resolves once the socket can take more, or undefined when it
   * can now. Subscriptions await it before pulling their next event.
   */
  whenWritable?(): Promise<void> | undefined;
}

/** What `onError` sees: every error a handler, middleware or the protocol produced. */
export interface ErrorEvent {
  error: DuplexError;
  /** The procedure path, when the error belongs to a call or subscription. */
  path: string | undefined;
  kind: ProcedureKind | undefined;
  connectionId: string;
  ctx: unknown;
}

/** The part of {@link ServerPeerOptions} that is the same for every connection of a server. */
export type SharedPeerOptions = Omit<ServerPeerOptions, 'connectionId' | 'transport'>;

/** Options shared by every server adapter. */
export interface ServerPeerOptions extends PeerLimitOptions {
  router: AnyRouter;
  transport: ServerTransport;
  connectionId: string;
  /** Limits already resolved (adapters share one object between connections). */
  limits?: PeerLimits | undefined;
  /** Builds the context once per connection from the `hello` message's params. */
  createContext: (info: { connectionParams: Record<string, unknown> | undefined; connectionId: string; transport: ServerTransport }) => unknown;
  /** Send messages and stacks of non-DuplexError throws to clients. @default false */
  exposeErrors?: boolean | undefined;
  onError?: ((event: ErrorEvent) => void) | undefined;
  /** Codecs a client may pick in `hello`. @default { superjson, json } */
  codecs?: Readonly<Record<string, Codec>> | undefined;
  /** @default 10_000 */
  helloTimeoutMs?: number | undefined;
  /**
   * Where completed mutations are remembered so a re-sent one runs once (docs/reliability.md);
   * `false` turns exactly-once off (clients then never re-send a mutation).
   * @default the process-wide MemoryDedupeStore
   */
  dedupe?: DedupeStore | false | undefined;
  /**
   * After `client.reauthenticate()`, check each live subscription again by running its
   * middleware chain with the new context; one that now throws ends with that error.
   * `false` keeps every subscription as it is.
   * @default true
   */
  recheckSubscriptions?: boolean | undefined;
  /**
   * Items of a client stream the server lets a client send ahead of the handler (protocol.md
   * §7.2): the most that wait in memory per stream.
   * @default 16
   */
  streamWindow?: number | undefined;
  /** When a context's credentials expire (epoch ms or Date); the connection closes with 4401 then unless an `auth` renewed them (protocol.md §5.3). @default undefined (never) */
  credentialsExpireAt?: ((ctx: unknown) => number | Date | undefined) | undefined;
  clock?: Clock | undefined;
  /** Called once when the peer has released everything (after close). */
  onClosed?: (() => void) | undefined;
  /**
   * Schedules the flush of the outgoing batch. Everything queued before it runs leaves in one
   * frame. @default queueMicrotask (the ws adapter uses `process.nextTick`, which runs after the
   * whole microtask cascade, so every event of one publish shares a frame)
   */
  schedule?: ((flush: () => void) => void) | undefined;
  /** Tracing and metrics hooks (`otelInstrumentation()` from `@duplex/server/otel`). @default undefined (none, no cost) */
  instrumentation?: Instrumentation | undefined;
}

type PeerState = 'awaiting-hello' | 'creating-context' | 'ready' | 'closed';

/** Default time a connection may take to send `hello`. */
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

/**
 * One connection's server side, independent of any socket library: feed it frames with
 * {@link ServerPeer.receive}; it answers through `transport.send`.
 */
export class ServerPeer {
  readonly id: string;
  private state: PeerState = 'awaiting-hello';
  private ctx: unknown;
  private codec: Codec = builtinCodecs.superjson as Codec;
  // Allocated on first use: an idle connection should cost as little memory as possible.
  private waiting: ClientMessage[] | undefined;
  private active: Map<number, ActiveEntry> = NO_ENTRIES;
  private readonly outbox: ServerOutbox;
  private helloTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly limits: PeerLimits;
  private protocolErrors = 0;
  /** Counts `auth` messages, so a slower earlier one cannot overwrite a newer context. */
  private authGeneration = 0;
  private readonly expiry: CredentialExpiry | undefined;
  /** The client's session and the store that remembers its mutations (exactly-once). */
  private session: { store: DedupeStore; sid: string; floor: number } | undefined;
  private started = 0;
  /** Highest call or subscription id seen: a `credit` for an id at or below it may race the end of its subscription. */
  private highestId = -1;
  /** Calls and subscriptions held in `waiting`, each against its own limit. */
  private heldCalls = 0;
  private heldSubs = 0;
  /** Present only when `maxRequestsPerSecond` is set. */
  private budget: RequestBudget | undefined;
  /** What the stream loops call back into; allocated by the first stream (memory per connection matters). */
  private host: PumpHost | undefined;
  /** Drain waiters; allocated only while a drain waits (memory per connection matters). */
  private settledWaiters: Array<() => void> | undefined;

  private readonly out: ServerTransport;
  private readonly telemetry: ConnectionInstrumentation | undefined;

  /**
   * @param options everything about the server; adapters share one object between connections
   *   and pass what is per connection as `connection` (a copy per connection would cost memory).
   */
  constructor(
    private readonly options: ServerPeerOptions | SharedPeerOptions,
    connection?: { connectionId: string; transport: ServerTransport },
  ) {
    const own = connection ?? (options as ServerPeerOptions);
    this.id = own.connectionId;
    this.out = own.transport;
    this.telemetry = options.instrumentation?.connection({ connectionId: this.id });
    this.outbox = new ServerOutbox((frame) => {
      this.telemetry?.sent(frame);
      this.out.send(frame);
    }, options.schedule ?? queueMicrotask);
    this.clock = options.clock ?? systemClock;
    this.limits = options.limits ?? resolvePeerLimits(options);
    if (this.limits.maxRequestsPerSecond !== undefined) {
      this.budget = new RequestBudget(this.limits.maxRequestsPerSecond, () => this.clock.now());
    }
    this.helloTimer = this.clock.setTimeout(() => this.onHandshakeTimeout(), options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS);
    const read = options.credentialsExpireAt;
    if (read) this.expiry = new CredentialExpiry(this.clock, read, () => this.fail(CloseCode.UNAUTHORIZED, 'credentials expired'));
  }

  /** Calls and subscriptions started on this connection so far (idle detection reads it). */
  get requestsStarted(): number {
    return this.started;
  }

  /** Calls and subscriptions currently running on this connection. */
  get stats(): { calls: number; subscriptions: number } {
    let calls = 0;
    for (const entry of this.active.values()) if (entry.kind === 'call') calls++;
    return { calls, subscriptions: this.active.size - calls };
  }

  /** Calls with a client stream running on this connection (counted only when one starts). */
  private clientStreams(): number {
    let count = 0;
    for (const entry of this.active.values()) if (entry.input) count++;
    return count;
  }

  /** The transport this peer writes to. */
  get transport(): ServerTransport {
    return this.out;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Handles one incoming text frame. Never throws. */
  receive(frame: string): void {
    if (this.state === 'closed') return;
    this.telemetry?.received(frame);
    let decoded: unknown;
    try {
      decoded = parseBoundedJson(frame, this.limits.maxJsonDepth);
    } catch (error) {
      this.protocolError(null, error instanceof SyntaxError ? 'frame is not valid JSON' : (error as Error).message);
      return;
    }
    const raw = Array.isArray(decoded) ? decoded : [decoded];
    // Keys like __proto__ are refused per message, so the answer can name the call's id.
    const suspicious = mayContainUnsafeKey(frame);
    for (const item of raw) {
      if ((this.state as PeerState) === 'closed') return;
      const parsed = parseClientMessage(item);
      const unsafeKey = suspicious ? findUnsafeKey(item) : undefined;
      if (!parsed.ok || unsafeKey !== undefined) {
        const reason = parsed.ok ? `forbidden key "${unsafeKey}"` : parsed.reason;
        // Without a valid hello the connection can never become useful: refuse it clearly.
        if (this.state === 'awaiting-hello' && (item as { t?: unknown } | null)?.t === 'hello') {
          return this.fail(CloseCode.BAD_HELLO, `bad hello: ${reason}`);
        }
        if (!parsed.ok && (item as { t?: unknown } | null)?.t === 'credit') this.refuseCredit(parsed.id, reason);
        else this.protocolError(parsed.ok ? messageId(parsed.message) : parsed.id, reason);
        continue;
      }
      this.handle(parsed.message);
    }
  }

  /**
   * Handles one incoming binary frame: a `call` or `sub` whose input holds binary values
   * (protocol.md §2). The input is decoded here, so a frame whose attachments do not match its
   * references is refused as a protocol error like any malformed frame. Never throws.
   */
  receiveBinary(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.telemetry?.received(frame);
    // The codec, which says how references are marked, is known only after hello.
    if (this.state === 'awaiting-hello') return this.protocolError(null, 'binary frame before hello');
    const read = readBinaryMessage(frame, this.codec, this.limits.maxJsonDepth);
    if (!read.ok) return this.protocolError(read.id, read.reason);
    this.handle(read.message);
  }

  /** Tells the client to reconnect elsewhere (server draining). */
  goAway(reason: string): void {
    this.enqueue({ t: 'goaway', reason });
  }

  /** Resolves once no call is running on this connection (subscriptions do not count). */
  callsSettled(): Promise<void> {
    if (this.stats.calls === 0) return Promise.resolve();
    return new Promise((resolve) => (this.settledWaiters ??= []).push(resolve));
  }

  /** Sends what is queued, closes the socket with `code`, then releases everything. */
  close(code: number, reason: string): void {
    this.fail(code, reason);
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    if (!waiters || this.stats.calls > 0) return;
    this.settledWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /**
   * Releases the connection: aborts every handler's signal and forgets every call and
   * subscription at once, without waiting for user code to notice.
   */
  dispose(reason: DuplexError = new DuplexError({ code: 'CANCELLED', message: 'connection closed' })): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.endHandshake();
    this.expiry?.stop();
    this.waiting = undefined;
    this.outbox.clear();
    const entries = [...this.active.values()];
    this.active.clear();
    for (const entry of entries) this.release(entry, reason);
    this.notifySettled();
    this.telemetry?.closed();
    this.options.onClosed?.();
  }

  private fail(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.outbox.flush();
    this.out.close(code, toCloseReason(reason));
    this.dispose();
  }

  private handle(message: ClientMessage): void {
    switch (message.t) {
      case 'hello':
        this.onHello(message);
        return;
      case 'ping':
        this.enqueue({ t: 'pong' });
        return;
      case 'pong':
        return;
      case 'call':
      case 'sub':
      case 'cancel':
      case 'credit':
      case 'auth':
      case 'data':
      case 'done':
        break;
    }
    if ((message.t === 'data' || message.t === 'done') && this.state !== 'ready') {
      // Client stream items go out only against credit, which a call gets once it runs.
      this.protocolError(message.id, `${message.t} before ready`);
      return;
    }
    if (this.state === 'awaiting-hello') {
      this.protocolError(message.t === 'cancel' ? null : message.id, 'send hello first');
      return;
    }
    if (message.t === 'auth' && this.state !== 'ready') {
      this.protocolError(message.id, 'auth before ready');
      return;
    }
    // Calls that arrive while createContext is resolving are held in order, never dropped
    // (up to the in-flight limits: the queue must not grow without bound either).
    if (this.state === 'creating-context') {
      if (message.t === 'call' || message.t === 'sub') {
        const held = message.t === 'call' ? ++this.heldCalls : ++this.heldSubs;
        if (held > (message.t === 'call' ? this.limits.maxCallsInFlight : this.limits.maxSubscriptions)) {
          this.limitError(message.id, 'too many calls held while the connection is being set up');
          return;
        }
      }
      (this.waiting ??= []).push(message);
      return;
    }
    this.dispatch(message);
  }

  private dispatch(message: ClientMessage): void {
    switch (message.t) {
      case 'call':
      case 'sub':
        this.start(message);
        return;
      case 'cancel': {
        const entry = this.active.get(message.id);
        if (!entry) return; // already finished: the client raced us, nothing to do
        this.active.delete(message.id);
        this.release(entry, new DuplexError({ code: 'CANCELLED', message: 'cancelled by the client' }));
        this.notifySettled();
        return;
      }
      case 'credit':
        this.onCredit(message);
        return;
      case 'auth':
        void this.reauthenticate(message);
        return;
      case 'data':
        this.onInputData(message);
        return;
      case 'done':
        this.inputOf(message.id)?.input?.end();
        return;
      case 'hello':
      case 'ping':
      case 'pong':
        return; // answered in handle()
    }
  }

  /**
   * The server's end of call `id`'s client stream; grants the first window. A method of its own:
   * the grant callback's closure in `start()` would cost every call a context allocation.
   */
  private openInput(id: number, entry: ActiveEntry, procedure: AnyProcedure): InputStream {
    const schema = procedure['~def'].inputSchema as StandardSchemaV1 & { '~item': StandardSchemaV1 };
    const input = new InputStream(this.options.streamWindow ?? DEFAULT_STREAM_WINDOW, schema['~item'], (n) => {
      if (this.active.get(id) === entry) this.push(`{"t":"credit","id":${id},"n":${n}}`);
    });
    entry.input = input;
    input.open();
    return input;
  }

  /**
   * One item of a call's client stream (protocol.md §7.2). Items for a call that has ended are
   * dropped (they crossed its answer on the wire); an item past the granted credit ends the call.
   */
  private onInputData(message: InputDataMessage): void {
    const entry = this.inputOf(message.id);
    if (!entry?.input) return;
    let value: unknown;
    try {
      value = decodePayload(this.codec, message.data);
    } catch {
      return this.end(message.id, entry, new DuplexError({ code: 'BAD_REQUEST', message: 'a client stream item could not be decoded' }));
    }
    if (entry.input.push(value)) return;
    this.end(message.id, entry, new DuplexError({ code: 'BAD_REQUEST', message: 'protocol error: data sent past the granted credit' }));
    this.countProtocolError();
  }

  /**
   * The running call with a client stream that `data` or `done` names. Those may cross the call's
   * answer on the wire, so only an id never used, or one without a client stream, is refused.
   */
  private inputOf(id: number): ActiveEntry | undefined {
    const entry = this.active.get(id);
    if (entry?.input) return entry;
    if (entry || id > this.highestId) this.protocolError(id, `no client stream with id ${id}`);
    return undefined;
  }

  /**
   * Ends a running call or subscription with `error` (both halves of a stream): its handler's
   * signal aborts, `onError` sees it and the client gets it.
   */
  private end(id: number, entry: ActiveEntry, error: DuplexError, path?: string, kind?: ProcedureKind): void {
    this.active.delete(id);
    this.release(entry, error);
    this.report(error, path, kind);
    this.sendError(id, error, error, path, kind);
    this.notifySettled();
  }

  /** Adds credits to a live subscription or streamed result (protocol.md §7.1, §7.2). */
  private onCredit(message: CreditMessage): void {
    const entry = this.active.get(message.id);
    if (entry?.kind === 'sub' || entry?.credit) {
      if (!entry.credit || entry.credit.grant(message.n)) return;
      return this.refuseCredit(message.id, 'credit would pass 2^31 - 1');
    }
    // A credit may cross the subscription's `done` or `error` on the wire: only an id never used is an error.
    if (!entry && message.id <= this.highestId) return;
    this.refuseCredit(message.id, entry ? `id ${message.id} is a call, not a subscription` : `no subscription with id ${message.id}`);
  }

  /**
   * Answers a bad `credit` message. A live subscription whose credit is wrong ends with the error
   * (its accounting is lost); a live call is left alone, so the answer names no id.
   */
  private refuseCredit(id: number | null, reason: string): void {
    const entry = id === null ? undefined : this.active.get(id);
    if (entry?.kind === 'call' && !entry.credit) return this.protocolError(null, `${reason} (credit for call ${id})`);
    if (entry && id !== null) {
      this.active.delete(id);
      this.release(entry, new DuplexError({ code: 'BAD_REQUEST', message: `protocol error: ${reason}` }));
    }
    this.protocolError(id, reason);
  }

  private onHello({ v: version, codec: codecName, params, sid, seq }: HelloMessage): void {
    if (this.state !== 'awaiting-hello') {
      this.protocolError(null, 'hello was already received');
      return;
    }
    if (version !== PROTOCOL_VERSION) return this.fail(CloseCode.BAD_HELLO, `unsupported protocol version ${version}`);
    const codecs = this.options.codecs ?? builtinCodecs;
    const codec = Object.hasOwn(codecs, codecName) ? codecs[codecName] : undefined;
    if (!codec) return this.fail(CloseCode.BAD_HELLO, `unsupported codec "${String(codecName).slice(0, 40)}"`);
    this.codec = codec;
    this.state = 'creating-context';
    const store = this.options.dedupe ?? defaultDedupeStore();
    if (store && sid !== undefined) this.session = { store, sid, floor: (seq ?? 0) + 1 };
    this.telemetry?.hello({ sid, seq });
    let pending: unknown;
    try {
      pending = this.options.createContext({ connectionParams: params, connectionId: this.id, transport: this.out });
    } catch (error) {
      this.onContextError(error);
      return;
    }
    Promise.resolve(pending).then(
      (ctx) => this.onContext(ctx),
      (error: unknown) => this.onContextError(error),
    );
  }

  /**
   * The handshake (hello, then createContext) did not finish within `helloTimeoutMs`. A
   * createContext that never settles would otherwise hold the connection and its queued calls.
   */
  private onHandshakeTimeout(): void {
    this.helloTimer = undefined;
    if (this.state === 'creating-context') {
      this.report(new DuplexError({ code: 'TIMEOUT', message: 'createContext did not settle within the handshake timeout' }), undefined, undefined);
      this.fail(CloseCode.HELLO_TIMEOUT, 'createContext did not settle in time');
    } else {
      this.fail(CloseCode.HELLO_TIMEOUT, 'no hello received in time');
    }
  }

  private endHandshake(): void {
    if (this.helloTimer !== undefined) this.clock.clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  private onContext(ctx: unknown): void {
    if (this.state !== 'creating-context') return;
    this.endHandshake();
    this.ctx = ctx;
    this.state = 'ready';
    const ready: ReadyMessage = { t: 'ready', cid: this.id, limits: advertisedLimits(this.limits) };
    if (this.session) ready.dedupe = { windowMs: this.session.store.windowMs, maxEntries: this.session.store.maxEntries };
    const exp = this.expiry?.arm(ctx);
    if (exp !== undefined) ready.exp = exp;
    this.enqueue(ready);
    const held = this.waiting ?? [];
    this.waiting = undefined;
    for (const message of held) {
      if (this.state !== 'ready') return;
      this.dispatch(message);
    }
  }

  private onContextError(cause: unknown): void {
    if (this.state !== 'creating-context') return;
    this.endHandshake();
    const error = DuplexError.from(cause);
    this.report(error, undefined, undefined);
    if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN') {
      const code = error.code === 'UNAUTHORIZED' ? CloseCode.UNAUTHORIZED : CloseCode.FORBIDDEN;
      this.fail(code, error.message);
    } else {
      const shape = this.shape(error, cause);
      this.fail(CloseCode.INTERNAL_ERROR, `createContext failed: ${shape.message}`);
    }
  }

  private start(message: CallMessage | SubscribeMessage): void {
    this.started++;
    if (message.id > this.highestId) this.highestId = message.id;
    if (this.active.has(message.id)) {
      this.protocolError(null, `id ${message.id} is already in use`);
      return;
    }
    if (this.budget && !this.budget.take()) {
      this.limitError(message.id, `more than ${this.limits.maxRequestsPerSecond} requests per second`);
      return;
    }
    if (this.overLimit(message.t)) {
      const what = message.t === 'call' ? `${this.limits.maxCallsInFlight} calls in flight` : `${this.limits.maxSubscriptions} subscriptions`;
      this.limitError(message.id, `this connection already has ${what}`);
      return;
    }
    const procedure = this.options.router['~def'].procedures.get(message.path);
    const expected = message.t === 'sub' ? 'subscription' : message.kind;
    if (!procedure || procedure['~def'].kind !== expected) {
      const error = new DuplexError({ code: 'NOT_FOUND', message: `no ${expected} at path "${message.path.slice(0, 200)}"` });
      this.report(error, message.path, expected);
      this.sendError(message.id, error, error, message.path, expected);
      return;
    }
    const streamIn = isStreamSchema(procedure['~def'].inputSchema);
    if (streamIn !== (message.t === 'call' && message.stream === true)) {
      const reason = streamIn
        ? message.t === 'sub'
          ? `"${message.path}" takes a client stream, which a subscription cannot send`
          : `"${message.path}" takes a client stream: send the call with stream: true`
        : `"${message.path}" does not take a client stream`;
      this.sendError(message.id, new DuplexError({ code: 'BAD_REQUEST', message: reason }));
      return;
    }
    if (streamIn && this.clientStreams() >= this.limits.maxClientStreams) {
      // Not a protocol error: a well-behaved client uploading many files at once meets it.
      const error = new DuplexError({ code: 'TOO_MANY_REQUESTS', message: `this connection already has ${this.limits.maxClientStreams} client streams (maxClientStreams)`, retryable: true });
      this.report(error, message.path, message.t === 'call' ? message.kind : undefined);
      this.sendError(message.id, error);
      return;
    }
    const rawInput = message.input;
    let input: unknown;
    try {
      input = decodePayload(this.codec, rawInput);
    } catch {
      this.sendError(message.id, new DuplexError({ code: 'BAD_REQUEST', message: 'input payload could not be decoded' }));
      return;
    }
    const entry = new ActiveEntry(message.t);
    if (this.telemetry) entry.trace = this.telemetry.request(requestInfo(message, rawInput));
    if (message.t === 'sub') entry.source = { procedure, path: message.path, input };
    if (this.active === NO_ENTRIES) this.active = new Map();
    this.active.set(message.id, entry);
    if (message.t === 'call') {
      if (message.timeoutMs !== undefined && message.timeoutMs <= MAX_TIMER_DELAY_MS) {
        entry.timer = this.clock.setTimeout(() => this.onDeadline(message.id, entry, message.path), message.timeoutMs);
      }
      if (streamIn) input = this.openInput(message.id, entry, procedure);
      // A client stream cannot be sent again, so it is never claimed in the dedupe window.
      const claim = message.kind === 'mutation' && !streamIn ? this.claim(message, rawInput) : undefined;
      void this.runCall(message, procedure, input, entry, claim);
    } else {
      if (message.credit !== undefined) entry.credit = new CreditWindow(message.credit);
      void this.runSubscription(message, procedure, input, entry);
    }
  }

  private onDeadline(id: number, entry: ActiveEntry, path: string): void {
    if (this.active.get(id) !== entry) return;
    this.active.delete(id);
    entry.timer = undefined;
    const error = new DuplexError({ code: 'TIMEOUT', message: `deadline exceeded for "${path}"` });
    this.release(entry, error);
    this.sendError(id, error, error, path);
    this.notifySettled();
  }

  /**
   * Credential rotation: runs `createContext` with the new params; new calls get the new context.
   * Live subscriptions are checked again by their middleware chain with it (unless
   * `recheckSubscriptions` is false); one it now refuses ends with that error (e.g. `FORBIDDEN`).
   * A refused `auth` keeps the previous context and answers the error.
   */
  private async reauthenticate(message: AuthMessage): Promise<void> {
    const generation = ++this.authGeneration;
    let ctx: unknown;
    try {
      ctx = await this.options.createContext({ connectionParams: message.params, connectionId: this.id, transport: this.out });
    } catch (cause) {
      if (this.state !== 'ready') return;
      const error = DuplexError.from(cause);
      this.report(error, undefined, undefined);
      this.sendError(message.id, error, cause);
      return;
    }
    // A later `auth` that finished first wins; this one's context is already stale.
    if (this.state !== 'ready' || generation !== this.authGeneration) return;
    this.ctx = ctx;
    const exp = this.expiry?.arm(ctx);
    this.enqueue(exp === undefined ? { t: 'result', id: message.id } : { t: 'result', id: message.id, exp });
    if (this.options.recheckSubscriptions === false) return;
    for (const [id, entry] of this.active) {
      if (!entry.source) continue;
      void recheckSubscription(entry.source, ctx, entry).then((refusal) => {
        if (!refusal || this.active.get(id) !== entry || this.ctx !== ctx) return;
        this.end(id, entry, refusal, entry.source?.path, 'subscription');
      });
    }
  }

  private async runCall(
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
          return this.answer(id, entry, claim.outcome);
        case 'running': {
          // A re-send raced the first attempt (an old connection still running it): share its outcome.
          const outcome = await claim.outcome;
          if (outcome) return this.answer(id, entry, outcome);
          return this.runCall(message, procedure, input, entry, this.claim(message, message.input));
        }
        case 'expired':
          return this.answer(id, entry, { ok: false, error: EXPIRED });
        case 'mismatch':
          return this.answer(id, entry, { ok: false, error: KEY_MISMATCH });
      }
    }
    try {
      const call = { procedure, path, ctx: this.ctx, input, signal: entry };
      const data = await (entry.trace ? entry.trace.run(callProcedure, call) : callProcedure(call));
      if (isStreamSource(data)) {
        record?.(STREAMED);
        return this.runStreamedResult(message, procedure, data, entry);
      }
      record?.(procedure['~def'].exactlyOnce === false ? OPTED_OUT : { ok: true, data });
      if (!this.finish(id, entry)) return; // cancelled or timed out: the late result is dropped
      this.enqueueWithPayload({ t: 'result', id }, data, entry);
      entry.trace?.end();
    } catch (cause) {
      const error = DuplexError.from(cause);
      // Aborted (cancel, deadline, lost connection): it may not have finished, so a re-send runs it.
      record?.(entry.aborted ? undefined : procedure['~def'].exactlyOnce === false ? OPTED_OUT : { ok: false, error: this.shape(error, cause, path, message.kind) });
      if (!this.finish(id, entry)) return;
      entry.trace?.end(error);
      this.report(error, path, message.kind);
      this.sendError(id, error, cause, path, message.kind);
    }
  }

  /** Answers a mutation from the dedupe window (or with the window's refusal). */
  private answer(id: number, entry: ActiveEntry, outcome: DedupeOutcome): void {
    if (!this.finish(id, entry)) return;
    if (outcome.ok) this.enqueueWithPayload({ t: 'result', id }, outcome.data, entry);
    else this.enqueue({ t: 'error', id, error: outcome.error });
    entry.trace?.end(outcome.ok ? undefined : outcome.error);
  }

  /** Asks the dedupe window about a mutation that carries a session `seq` or an idempotency `key`. */
  private claim(message: CallMessage, rawInput: unknown): DedupeClaim | Promise<DedupeClaim> | undefined {
    const store = this.session?.store ?? (message.key === undefined ? undefined : (this.options.dedupe ?? defaultDedupeStore()));
    if (!store) return undefined;
    if (message.key !== undefined) {
      return store.claim({ kind: 'key', path: message.path, key: message.key, fingerprint: inputFingerprint(rawInput) });
    }
    const session = this.session;
    if (!session || message.seq === undefined) return undefined;
    return store.claim({ kind: 'session', sid: session.sid, seq: message.seq, floor: session.floor });
  }

  private async runSubscription(message: SubscribeMessage, procedure: AnyProcedure, input: unknown, entry: ActiveEntry) {
    const { id, path } = message;
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      const call = { procedure, path, ctx: this.ctx, input, signal: entry, lastEventId: message.lastEventId };
      const iterable = await (entry.trace ? entry.trace.run(callProcedure, call) : callProcedure(call));
      if (!isAsyncIterable(iterable)) throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'subscription handler must return an AsyncIterable' });
      const source = iterable[Symbol.asyncIterator]();
      iterator = applySlowReaderPolicy(entry.trace ? entry.trace.iterator(source) : source, procedure['~def'].subscription);
      await pumpItems(this.pumpHost, id, entry, iterator, procedure['~def'].outputSchema);
    } catch (cause) {
      this.failStream(id, entry, cause, path, 'subscription');
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
  private async runStreamedResult(message: CallMessage, procedure: AnyProcedure, source: ReadableStream<unknown> | AsyncIterable<unknown>, entry: ActiveEntry) {
    const { id, path } = message;
    if (this.active.get(id) !== entry) return void streamIterator(source).return?.().catch(() => {});
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.credit = new CreditWindow(message.credit ?? DEFAULT_STREAM_WINDOW);
    this.enqueue({ t: 'result', id, stream: true });
    const schema = procedure['~def'].outputSchema;
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      iterator = streamIterator(source);
      if (entry.trace) iterator = entry.trace.iterator(iterator);
      await pumpItems(this.pumpHost, id, entry, iterator, isStreamSchema(schema) ? schema['~item'] : undefined);
    } catch (cause) {
      this.failStream(id, entry, cause, path, message.kind);
    }
    if (iterator?.return) iterator.return().catch(() => {});
  }

  /** A stream's producer threw: the error ends it, unless it had already ended. */
  private failStream(id: number, entry: ActiveEntry, cause: unknown, path: string, kind: ProcedureKind): void {
    if (!this.finish(id, entry)) return;
    const error = DuplexError.from(cause);
    entry.trace?.end(error);
    this.release(entry, error);
    this.report(error, path, kind);
    this.sendError(id, error, cause, path, kind);
  }

  /** The peer as seen by {@link pumpItems}; one object per connection, made on first use. */
  private get pumpHost(): PumpHost {
    this.host ??= {
      isLive: (id, entry) => this.active.get(id) === entry,
      whenWritable: () => this.out.whenWritable?.(),
      sendItem: (id, entry, eid, data) => {
        entry.credit?.spend();
        this.enqueueWithPayload(eid === undefined ? { t: 'data', id } : { t: 'data', id, eid }, data, entry);
      },
      sendDone: (id, entry) => {
        this.finish(id, entry);
        this.enqueue({ t: 'done', id });
        entry.trace?.end();
      },
    };
    return this.host;
  }

  /** True when starting one more `kind` would pass its limit. Counts only near the limit. */
  private overLimit(kind: 'call' | 'sub'): boolean {
    const { maxCallsInFlight, maxSubscriptions } = this.limits;
    if (this.active.size < Math.min(maxCallsInFlight, maxSubscriptions)) return false;
    const { calls, subscriptions } = this.stats;
    return kind === 'call' ? calls >= maxCallsInFlight : subscriptions >= maxSubscriptions;
  }

  /** Answers a malformed or out-of-order message; too many of them close the connection. */
  private protocolError(id: number | null, reason: string): void {
    const error = new DuplexError({ code: 'BAD_REQUEST', message: `protocol error: ${reason}` });
    this.report(error, undefined, undefined);
    this.sendError(id, error);
    this.countProtocolError();
  }

  private limitError(id: number, message: string): void {
    const error = new DuplexError({ code: 'TOO_MANY_REQUESTS', message });
    this.report(error, undefined, undefined);
    this.sendError(id, error);
    this.countProtocolError();
  }

  private countProtocolError(): void {
    if (++this.protocolErrors > this.limits.maxProtocolErrors) {
      this.fail(CloseCode.POLICY_VIOLATION, 'too many protocol errors');
    }
  }

  /** Removes the entry if it is still the live one for `id`; false when it was already released. */
  private finish(id: number, entry: ActiveEntry): boolean {
    if (this.active.get(id) !== entry) return false;
    this.active.delete(id);
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    // Waiters resume in a later microtask, after the caller has queued the result.
    this.notifySettled();
    return true;
  }

  private release(entry: ActiveEntry, reason: DuplexError): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.input?.fail(reason);
    entry.abort(reason);
    entry.wake?.();
  }

  private report(error: DuplexError, path: string | undefined, kind: ProcedureKind | undefined): void {
    const onError = this.options.onError;
    if (!onError) return;
    try {
      onError({ error, path, kind, connectionId: this.id, ctx: this.ctx });
    } catch {
      // A throwing onError hook must not take the connection down.
    }
  }

  private shape(error: DuplexError, cause: unknown, path?: string, kind?: ProcedureKind): ErrorShape {
    const expose = this.options.exposeErrors === true;
    // Only errors thrown as DuplexError on purpose carry their message; anything else is masked.
    const masked = !(cause instanceof DuplexError) && !expose;
    const shape: ErrorShape = { code: error.code, message: masked ? 'Internal server error' : error.message };
    if (error.code === 'BAD_REQUEST' && error.issues) shape.issues = [...error.issues];
    if (error.retryable && !masked) shape.retryable = true;
    if (expose) {
      const stack = cause instanceof Error ? cause.stack : error.stack;
      if (stack) shape.stack = stack;
    }
    const formatter = this.options.router['~def'].errorFormatter;
    if (!formatter) return shape;
    const onFailure = (failure: DuplexError) => this.report(failure, path, kind);
    return formatErrorShape(formatter, shape, { error, path, kind, ctx: this.ctx, onFailure });
  }

  private sendError(id: number | null, error: DuplexError, cause: unknown = error, path?: string, kind?: ProcedureKind): void {
    this.enqueue({ t: 'error', id, error: this.shape(error, cause, path, kind) });
  }

  /**
   * Queues a `result` or `data` message. The payload is encoded on its own (and shared between
   * subscriptions that send the same object in this turn) and spliced into the envelope text.
   */
  private enqueueWithPayload(message: { t: 'result' | 'data'; id: number; eid?: string }, data: unknown, owner: ActiveEntry): void {
    let frame: string | Uint8Array;
    try {
      const payload = encodePayload(this.codec, data, owner);
      const eid = message.eid === undefined ? '' : `,"eid":${JSON.stringify(message.eid)}`;
      const head = `{"t":"${message.t}","id":${message.id}${eid}`;
      if (typeof payload === 'object') frame = encodeBinaryFrame(`${head},"data":${payload.text}}`, payload.attachments);
      else frame = `${head}${payload === undefined ? '' : `,"data":${payload}`}}`;
    } catch (cause) {
      const error = new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'value could not be serialized', cause });
      owner.trace?.end(error);
      this.report(error, undefined, undefined);
      if (message.t === 'data') {
        const entry = this.active.get(message.id);
        if (entry) {
          this.active.delete(message.id);
          this.release(entry, error);
        }
      }
      this.sendError(message.id, error, cause);
      return;
    }
    owner.trace?.sent(frame);
    this.push(frame);
  }

  private enqueue(message: ServerMessage): void {
    this.push(JSON.stringify(message));
  }

  /** Queues a frame unless the connection is closed (see {@link ServerOutbox}). */
  private push(item: string | Uint8Array): void {
    if (this.state === 'closed') return;
    this.outbox.push(item);
  }
}

function messageId(message: ClientMessage): number | null {
  return 'id' in message ? message.id : null;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
