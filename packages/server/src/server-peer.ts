import {
  type AnyProcedure,
  type AuthMessage,
  builtinCodecs,
  type CallMessage,
  type ClientMessage,
  type Clock,
  CloseCode,
  type Codec,
  DuplexError,
  findUnsafeKey,
  type HelloMessage,
  mayContainUnsafeKey,
  PROTOCOL_VERSION,
  parseBoundedJson,
  parseClientMessage,
  type ReadyMessage,
  type StreamSource,
  systemClock,
  type TimerHandle,
  toCloseReason,
} from '@duplex/core';
import type { ActiveEntry } from './active-entry.js';
import { CredentialExpiry } from './credential-expiry.js';
import { defaultDedupeStore } from './dedupe-store.js';
import type { ConnectionInstrumentation } from './instrumentation.js';
import { advertisedLimits, type PeerLimits, RequestBudget, resolvePeerLimits } from './limits.js';
import { enqueue, report, sendError, shape } from './peer-replies.js';
import { readBinaryMessage } from './read-binary-message.js';
import { RequestTable } from './request-table.js';
import type { DedupeSession } from './run-call.js';
import { DEFAULT_HELLO_TIMEOUT_MS, type ServerPeerOptions, type ServerTransport, type SharedPeerOptions } from './server-peer-options.js';
import { ServerOutbox } from './server-outbox.js';
import { limitError, startRequest } from './start-request.js';
import type { PumpHost } from './stream-pump.js';
import { grantCredit, receiveDone, receiveItem, recheckSubscriptions, refuseCredit, runStreamedResult } from './stream-set.js';

export { DEFAULT_HELLO_TIMEOUT_MS, type ErrorEvent, type ServerPeerOptions, type ServerTransport, type SharedPeerOptions } from './server-peer-options.js';

type PeerState = 'awaiting-hello' | 'creating-context' | 'ready' | 'closed';

/**
 * One connection's server side, independent of any socket library: feed it frames with
 * {@link ServerPeer.receive}; it answers through `transport.send`.
 *
 * This class is the connection's lifecycle (handshake, re-authentication, close) and its message
 * dispatch. A `call` or `sub` is admitted in start-request.ts, calls run in run-call.ts, streams
 * in stream-set.ts, replies are built in peer-replies.ts, the running requests are kept in
 * request-table.ts. The functions of those
 * files take the peer as their host (the members marked internal), so they cost no object and no
 * closure per message.
 */
export class ServerPeer {
  readonly id: string;
  private state: PeerState = 'awaiting-hello';
  /** @internal The connection's context (replaced by `auth`). */
  ctx: unknown;
  /** @internal The codec the client picked in `hello`. */
  codec: Codec = builtinCodecs.superjson as Codec;
  // Allocated on first use: an idle connection should cost as little memory as possible.
  private waiting: ClientMessage[] | undefined;
  /** @internal The running calls and subscriptions by id. */
  readonly requests: RequestTable;
  private readonly outbox: ServerOutbox;
  private helloTimer: TimerHandle | undefined;
  /** @internal */
  readonly clock: Clock;
  /** @internal */
  readonly limits: PeerLimits;
  private protocolErrors = 0;
  /** Counts `auth` messages, so a slower earlier one cannot overwrite a newer context. */
  private authGeneration = 0;
  private readonly expiry: CredentialExpiry | undefined;
  /** @internal The client's session and the store that remembers its mutations (exactly-once). */
  session: DedupeSession | undefined;
  /** @internal Calls and subscriptions started so far. */
  started = 0;
  /** @internal Highest call or subscription id seen: a `credit` for an id at or below it may race the end of its subscription. */
  highestId = -1;
  /** Calls and subscriptions held in `waiting`, each against its own limit. */
  private heldCalls = 0;
  private heldSubs = 0;
  /** @internal Present only when `maxRequestsPerSecond` is set. */
  readonly budget: RequestBudget | undefined;
  /** @internal What the stream loops call back into; allocated by the first stream (memory per connection matters). */
  pump: PumpHost | undefined;

  private readonly out: ServerTransport;
  /** @internal */
  readonly telemetry: ConnectionInstrumentation | undefined;
  /** @internal The server's options (adapters share one object between connections). */
  readonly options: ServerPeerOptions | SharedPeerOptions;

  /**
   * @param options everything about the server; adapters share one object between connections
   *   and pass what is per connection as `connection` (a copy per connection would cost memory).
   */
  constructor(options: ServerPeerOptions | SharedPeerOptions, connection?: { connectionId: string; transport: ServerTransport }) {
    this.options = options;
    const own = connection ?? (options as ServerPeerOptions);
    this.id = own.connectionId;
    this.out = own.transport;
    this.telemetry = options.instrumentation?.connection({ connectionId: this.id });
    this.outbox = new ServerOutbox((frame) => {
      this.telemetry?.sent(frame);
      this.out.send(frame);
    }, options.schedule ?? queueMicrotask);
    this.clock = options.clock ?? systemClock;
    this.requests = new RequestTable(this.clock);
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
    return this.requests.stats;
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
        if (!parsed.ok && (item as { t?: unknown } | null)?.t === 'credit') refuseCredit(this, parsed.id, reason);
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
    enqueue(this, { t: 'goaway', reason });
  }

  /** Resolves once no call is running on this connection (subscriptions do not count). */
  callsSettled(): Promise<void> {
    return this.requests.callsSettled();
  }

  /** Sends what is queued, closes the socket with `code`, then releases everything. */
  close(code: number, reason: string): void {
    this.fail(code, reason);
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
    this.requests.clear(reason);
    this.telemetry?.closed();
    this.options.onClosed?.();
  }

  /** @internal Queues a frame unless the connection is closed (see {@link ServerOutbox}). */
  push(frame: string | Uint8Array): void {
    if (this.state === 'closed') return;
    this.outbox.push(frame);
  }

  /** @internal A call answered with a stream. */
  streamResult(message: CallMessage, procedure: AnyProcedure, source: StreamSource<unknown>, entry: ActiveEntry): void {
    void runStreamedResult(this, message, procedure, source, entry);
  }

  /** @internal Answers a malformed or out-of-order message; too many of them close the connection. */
  protocolError(id: number | null, reason: string): void {
    const error = new DuplexError({ code: 'BAD_REQUEST', message: `protocol error: ${reason}` });
    report(this, error, undefined, undefined);
    sendError(this, id, error);
    this.countProtocolError();
  }

  /** @internal */
  countProtocolError(): void {
    if (++this.protocolErrors > this.limits.maxProtocolErrors) {
      this.fail(CloseCode.POLICY_VIOLATION, 'too many protocol errors');
    }
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
        enqueue(this, { t: 'pong' });
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
          limitError(this, message.id, 'too many calls held while the connection is being set up');
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
        startRequest(this, message);
        return;
      case 'cancel': {
        const entry = this.requests.get(message.id);
        // Already finished: the client raced us, nothing to do.
        if (entry) this.requests.drop(message.id, entry, new DuplexError({ code: 'CANCELLED', message: 'cancelled by the client' }));
        return;
      }
      case 'credit':
        grantCredit(this, message);
        return;
      case 'auth':
        void this.reauthenticate(message);
        return;
      case 'data':
        receiveItem(this, message);
        return;
      case 'done':
        receiveDone(this, message.id);
        return;
      case 'hello':
      case 'ping':
      case 'pong':
        return; // answered in handle()
    }
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
      report(this, new DuplexError({ code: 'TIMEOUT', message: 'createContext did not settle within the handshake timeout' }), undefined, undefined);
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
    enqueue(this, ready);
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
    report(this, error, undefined, undefined);
    if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN') {
      const code = error.code === 'UNAUTHORIZED' ? CloseCode.UNAUTHORIZED : CloseCode.FORBIDDEN;
      this.fail(code, error.message);
    } else {
      this.fail(CloseCode.INTERNAL_ERROR, `createContext failed: ${shape(this, error, cause).message}`);
    }
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
      report(this, error, undefined, undefined);
      sendError(this, message.id, error, cause);
      return;
    }
    // A later `auth` that finished first wins; this one's context is already stale.
    if (this.state !== 'ready' || generation !== this.authGeneration) return;
    this.ctx = ctx;
    const exp = this.expiry?.arm(ctx);
    enqueue(this, exp === undefined ? { t: 'result', id: message.id } : { t: 'result', id: message.id, exp });
    if (this.options.recheckSubscriptions !== false) recheckSubscriptions(this, ctx);
  }
}

function messageId(message: ClientMessage): number | null {
  return 'id' in message ? message.id : null;
}
