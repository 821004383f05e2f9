import type { AnyRouter, Clock, Codec, InferRouterContext } from '@duplex/core';
import type { DedupeStore } from './dedupe-store.js';
import type { DevtoolsOptions } from './devtools.js';
import type { Instrumentation } from './instrumentation.js';
import type { KeepAliveOptions } from './heartbeat.js';
import type { PeerLimitOptions, SocketLimitOptions } from './limits.js';
import type { AllowedOrigins } from './origin.js';
import type { ErrorEvent } from './server-peer-options.js';

type MaybePromise<TValue> = TValue | Promise<TValue>;

/**
 * What `createContext` receives: the upgrade request and the client's `connectionParams`. The
 * request is Node's `IncomingMessage` on `ws` and a Fetch `Request` on Bun and Deno.
 */
export interface CreateContextOptions<TRequest = import('node:http').IncomingMessage> {
  request: TRequest;
  connectionParams: Record<string, unknown> | undefined;
  connectionId: string;
}

/** Options every WebSocket adapter (Node `ws`, Bun, Deno) takes, with the runtime's request type. */
export interface SocketServerOptions<TRouter extends AnyRouter, TRequest> extends PeerLimitOptions, SocketLimitOptions {
  router: TRouter;
  /** Builds the context once per connection. Throw `UNAUTHORIZED`/`FORBIDDEN` to refuse it. */
  createContext?: (opts: CreateContextOptions<TRequest>) => MaybePromise<InferRouterContext<TRouter>>;
  /** Browser origins allowed to connect. @default same-origin and origin-less clients only */
  allowedOrigins?: AllowedOrigins<TRequest>;
  /** Refuses an upgrade before it happens: return false (403) or throw a DuplexError (401/403). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing allows the upgrade
  verifyUpgrade?: (opts: { request: TRequest }) => MaybePromise<boolean | undefined | void>;
  /** Send messages and stacks of unexpected errors to clients. @default false */
  exposeErrors?: boolean;
  /** Sees every error with its path and connection. */
  onError?: (event: ErrorEvent) => void;
  /**
   * Where completed mutations are remembered, so one re-sent after a lost link runs once
   * (docs/reliability.md). `false` turns exactly-once off.
   * @default the process-wide MemoryDedupeStore (10 minutes, 256 results per session)
   */
  dedupe?: DedupeStore | false;
  /**
   * After a client's `reauthenticate()`, check each live subscription again by running its
   * middleware chain with the new context; one that now throws (e.g. `FORBIDDEN`) ends with that
   * error. `false` keeps them all.
   * @default true
   */
  recheckSubscriptions?: boolean;
  /**
   * Items of a client stream a client may send ahead of the handler that reads it (protocol.md
   * §7.2): at most this many wait in the server's memory per stream.
   * @default 16
   */
  streamWindow?: number;
  /**
   * When the credentials behind a context expire (epoch ms or a `Date`), e.g. a token's `exp`.
   * The server states it in `ready` and in the answer to `auth`; the duplex client then calls
   * `connectionParams` again and sends them with `reauthenticate()` shortly before that time.
   * If no renewal arrives in time, the connection closes with 4401 `credentials expired` (the
   * client then reconnects once with fresh params). A hook that throws expires them at once.
   * @default undefined (credentials never expire on an open connection)
   * @example credentialsExpireAt: (ctx) => ctx.session.expiresAt
   */
  // A method signature: checked bivariantly, so the adapters can hand it to peers that take `unknown`.
  credentialsExpireAt?(ctx: InferRouterContext<TRouter>): number | Date | undefined;
  /**
   * Time a new connection has for its handshake: `verifyUpgrade` must settle within it (else HTTP
   * 503), and `hello` plus `createContext` must be done within it after the upgrade (else close
   * 4408).
   * @default 10_000
   */
  helloTimeoutMs?: number;
  /**
   * Closes a connection (code 4001) that has had no call in flight, no subscription and no new
   * request for this long; the reference client reconnects when it next has work. Checked by one
   * shared timer every `idleTimeoutMs / 4`, so a connection closes between 1× and 1.25× this.
   * @default undefined (off: dead peers are found by `keepAlive`)
   */
  idleTimeoutMs?: number;
  /** Codecs clients may choose. @default { superjson, json } */
  codecs?: Readonly<Record<string, Codec>>;
  /**
   * Pings to quiet sockets; a socket that does not answer within `pongTimeoutMs` is
   * terminated. `false` turns it off. @default { intervalMs: 10_000, pongTimeoutMs: 5_000 }
   */
  keepAlive?: KeepAliveOptions | false;
  /**
   * Tracing and metrics: pass `otelInstrumentation()` from `@duplex/server/otel`
   * (docs/observability.md). Without it the server calls no hook at all.
   * @default undefined (off)
   */
  instrumentation?: Instrumentation;
  /**
   * Serves the devtools page (docs/devtools.md) on `devtools.path`, protected by a token and
   * answered to loopback addresses only.
   * @default undefined (off)
   */
  devtools?: DevtoolsOptions | undefined;
  clock?: Clock;
}

/** Counts of what a server is holding, for health checks and leak tests. */
export interface ServerStats {
  connections: number;
  calls: number;
  subscriptions: number;
  /** Outgoing bytes queued in sockets, summed over connections. */
  bufferedBytes: number;
}

/** What every WebSocket adapter's server object offers besides its way of listening. */
export interface SocketServerLifecycle {
  /**
   * Stops accepting (new upgrades get 503), sends `goaway` so clients reconnect elsewhere, lets
   * calls in flight finish for up to `drainMs` (default 10_000), ends subscriptions, closes every
   * socket with 1001 and terminates those that do not answer within a second.
   */
  close(opts?: { drainMs?: number }): Promise<void>;
  stats(): ServerStats;
  [Symbol.asyncDispose](): Promise<void>;
}
