import type { AnyRouter, Clock, Codec, DuplexError, ProcedureKind } from '@duplex/core';
import type { DedupeStore } from './dedupe-store.js';
import type { Instrumentation } from './instrumentation.js';
import type { PeerLimitOptions, PeerLimits } from './limits.js';

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

/** Default time a connection may take to send `hello`. */
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
