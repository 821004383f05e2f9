import {
  type AnyRouter,
  builtinCodecs,
  type Clock,
  type Codec,
  DEFAULT_SUBSCRIPTION_WINDOW,
  DuplexError,
  MAX_CREDIT,
  RESERVED_ROUTER_KEYS,
  systemClock,
  type TraceContext,
} from '@duplex/core';
import { DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
import type { BinarySupport } from './binary.js';
import { ClientPeer } from './client-peer.js';
import { CreditFlow } from './credit-flow.js';
import { type ConnectionParams, Connection } from './connection.js';
import { createCredentialRefresh, DEFAULT_REFRESH_BEFORE_EXPIRY_MS } from './credential-refresh.js';
import { DEFAULT_CLIENT_KEEP_ALIVE, type KeepAliveOptions } from './heartbeat.js';
import { DEFAULT_LAZY, type LazyOptions } from './idle-timer.js';
import { iterateSubscription } from './iterate.js';
import type { CallOptions, DuplexClient, IterateOptions, SubscribeOptions } from './types.js';
import { type ClientTransport, resolveWebSocket, type WebSocketConstructor } from './web-socket.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** `ws://` or `wss://` URL of the server. */
  url: string;
  /** Sent in the first message (never in the URL); a function is re-evaluated on every (re)connect. */
  connectionParams?: ConnectionParams;
  /** WebSocket class; required on Node < 22 (`import { WebSocket } from 'ws'`). @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /**
   * `'websocket'`, or `httpTransport()` / `autoTransport()` from `@duplex/client/http`: HTTP + SSE
   * only, or a WebSocket that falls back to them when it cannot open (docs/client.md).
   * @default 'websocket'
   */
  transport?: 'websocket' | ClientTransport;
  /** Payload codec; must be one the server accepts. @default 'superjson' */
  codec?: 'superjson' | 'json' | Codec;
  /** Default deadline of every query and mutation. @default undefined (none) */
  timeoutMs?: number;
  /** Reconnect with exponential backoff and full jitter, or `false`. @default { minDelayMs: 200, maxDelayMs: 10_000, maxAttempts: Infinity } */
  reconnect?: ReconnectOptions | false;
  /**
   * Application-level heartbeat (browsers cannot see protocol pings): after `intervalMs` of
   * silence the client pings; no message within `pongTimeoutMs` means the link is dead, and the
   * client closes it with 4000 and reconnects. `false` turns it off.
   * @default { intervalMs: 5_000, pongTimeoutMs: 3_000 }
   */
  keepAlive?: KeepAliveOptions | false;
  /**
   * Connect on the first call or subscription instead of at once, and close the socket after
   * `idleMs` with no pending call and no live subscription. `true` uses the defaults.
   * @default false (connect at once, stay connected)
   */
  lazy?: LazyOptions | boolean;
  /**
   * Calls made while disconnected wait for the connection in a queue of at most this many; one
   * more fails at once with a retryable `SERVICE_UNAVAILABLE`.
   * @default 1_000
   */
  maxQueuedCalls?: number;
  /**
   * How many times a query that was in flight when the connection dropped is sent again after
   * reconnecting, instead of failing with `SERVICE_UNAVAILABLE`. Mutations are never re-sent.
   * @default 0
   */
  retryQueries?: number;
  /**
   * Largest message the client sends; a call or subscribe over it fails at once with
   * `PAYLOAD_TOO_LARGE` instead of reaching the server's limit (which closes the socket).
   * Match the server's `maxMessageBytes`. @default 1_048_576 (1 MiB)
   */
  maxMessageBytes?: number;
  /**
   * Credit window of each subscription (docs/subscriptions.md#flow-control): events the server may
   * send ahead of what the application has consumed. A reader that stops stops the server's
   * generator within this many events, and the client buffers at most this many per subscription.
   * `Infinity` turns credit flow control off (only socket backpressure applies).
   * @default 256
   */
  subscriptionWindow?: number;
  /**
   * Carries `Uint8Array` values (and Node `Buffer`s) raw in binary frames: pass `binary` from
   * `@duplex/client/binary`. Without it, an input holding bytes fails with `NOT_IMPLEMENTED` before
   * it is sent, and so does a result or event holding bytes (docs/client.md#binary-data).
   * @default undefined (no binary frames; about 0.6 KB gzip less in the browser bundle)
   */
  binary?: BinarySupport;
  /**
   * Returns the caller's W3C trace context; it is read when a call or subscription starts and sent
   * with it, so the server's span joins the caller's trace. `otelTraceContext()` from
   * `@duplex/client/otel` reads OpenTelemetry's active context (docs/observability.md).
   * @default undefined (no trace context sent)
   */
  traceContext?: () => TraceContext | undefined;
  /**
   * When the server states that the credentials expire (its `credentialsExpireAt` option), the
   * client evaluates `connectionParams` again and sends them over the open connection
   * (`reauthenticate()`) this long before, or halfway through the time left if that is later.
   * Once per stated expiry; `false` never renews ahead (the server's 4401 at expiry then gets
   * the one reconnect with fresh params).
   * @default 10_000
   */
  refreshBeforeExpiryMs?: number | false;
  /** Timers (backoff, heartbeat, deadlines, idle) go through this clock. @default the system clock */
  clock?: Clock;
  /** Random source for backoff jitter. @default Math.random */
  random?: () => number;
}

/** Client members beside the procedures; routers may not use these keys (core refuses them). */
const RESERVED: ReadonlySet<string> = new Set(RESERVED_ROUTER_KEYS);

/**
 * Creates a typed client of a router; every call and subscription shares one WebSocket.
 * @example
 * const client = createClient<AppRouter>({ url: 'ws://localhost:3000' });
 * const text = await client.greet.query({ name: 'Ada' });
 */
export function createClient<TRouter extends AnyRouter>(options: ClientOptions): DuplexClient<TRouter> {
  const codec = typeof options.codec === 'object' ? options.codec : builtinCodecs[options.codec ?? 'superjson'];
  if (!codec) throw new TypeError(`duplex: unknown codec "${String(options.codec)}"`);
  const clock = options.clock ?? systemClock;
  const defaultWindow = checkWindow(options.subscriptionWindow ?? DEFAULT_SUBSCRIPTION_WINDOW);
  let connection: Connection | undefined;
  const before = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
  // Only an open link is renewed: a reconnect evaluates connectionParams anyway.
  const refresh = before === false ? undefined : createCredentialRefresh(clock, before, async () => (connection?.state === 'open' ? connection.reauthenticate() : undefined));
  const peer = new ClientPeer({
    codec,
    clock,
    timeoutMs: options.timeoutMs,
    maxQueuedCalls: options.maxQueuedCalls,
    retryQueries: options.retryQueries,
    maxMessageBytes: options.maxMessageBytes,
    binary: options.binary,
    traceContext: options.traceContext,
    onDemand: () => connection?.start(),
    onSettle: () => connection?.onSettle(),
    onServerNotice: (message) => {
      if (message.t === 'ready' || message.t === 'result') refresh?.expiresAt(message.exp);
      if (message.t === 'ready') connection?.onReady();
      else if (message.t === 'goaway') connection?.onGoAway();
    },
  });
  const lazy = options.lazy === true ? { ...DEFAULT_LAZY } : options.lazy ? { ...DEFAULT_LAZY, ...options.lazy } : false;
  connection = new Connection(
    {
      url: options.url,
      WebSocket: typeof options.transport === 'object' ? options.transport.WebSocket(options.WebSocket) : resolveWebSocket(options.WebSocket),
      connectionParams: options.connectionParams,
      codecName: codec.name,
      reconnect: options.reconnect === false ? false : { ...DEFAULT_RECONNECT, ...options.reconnect },
      keepAlive: options.keepAlive === false ? false : { ...DEFAULT_CLIENT_KEEP_ALIVE, ...options.keepAlive },
      lazy,
      clock,
      random: options.random ?? Math.random,
    },
    peer,
  );
  const conn = connection;
  if (!lazy) conn.start();

  const invoke = (path: string[], args: unknown[]): unknown => {
    const method = path[path.length - 1];
    const procedurePath = path.slice(0, -1).join('.');
    const [input, opts] = args;
    switch (method) {
      case 'query':
        return peer.call('query', procedurePath, input, opts as CallOptions | undefined);
      case 'mutate':
        return peer.call('mutation', procedurePath, input, opts as CallOptions | undefined);
      case 'subscribe': {
        const subscribeOptions = (opts ?? {}) as SubscribeOptions<unknown>;
        const window = checkWindow(subscribeOptions.window ?? defaultWindow);
        const flow = Number.isFinite(window) ? new CreditFlow(window, false) : undefined;
        return { unsubscribe: peer.subscribe(procedurePath, input, subscribeOptions, flow) };
      }
      case 'iterate': {
        const { signal, window } = (opts ?? {}) as IterateOptions;
        return iterateSubscription((handlers, flow) => peer.subscribe(procedurePath, input, handlers, flow), {
          ...(signal ? { signal } : {}),
          window: checkWindow(window ?? defaultWindow),
        });
      }
      default:
        throw new TypeError(`duplex: "${path.join('.')}" is not a procedure call (use .query, .mutate, .subscribe or .iterate)`);
    }
  };

  const controls = {
    get state() {
      return conn.state;
    },
    on: conn.on.bind(conn),
    close: () => {
      refresh?.stop();
      return conn.close();
    },
    reauthenticate: () => conn.reauthenticate(),
  };

  const makeProxy = (path: string[]): unknown =>
    new Proxy(() => {}, {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        // No level is a promise: `await client.posts` must not call a procedure named `then`.
        if (key === 'then') return undefined;
        if (path.length === 0 && RESERVED.has(key)) return controls[key as keyof typeof controls];
        return makeProxy([...path, key]);
      },
      apply(_target, _this, args: unknown[]) {
        if (path.length < 2) throw new TypeError(`duplex: "${path.join('.')}" is not callable`);
        return invoke(path, args);
      },
    });

  return makeProxy([]) as DuplexClient<TRouter>;
}

export { DuplexError };

/** A window is a positive integer up to 2^31 − 1, or `Infinity` (no credit flow control). */
function checkWindow(window: number): number {
  if (window === Number.POSITIVE_INFINITY || (Number.isInteger(window) && window >= 1 && window <= MAX_CREDIT)) return window;
  throw new RangeError(`duplex: a subscription window must be a positive integer or Infinity, not ${String(window)}`);
}
