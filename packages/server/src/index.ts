export { DuplexError, type ErrorCode, ERROR_CODES, isDuplexError, tracked, type Tracked } from '@duplex/core';
export type { ErrorFormatter, ErrorFormatterOptions, ErrorShape, InferDuplexError, InferErrorData } from '@duplex/core';
export type { AnyRouter, InferRouterContext, InferRouterInputs, InferRouterOutputs, MiddlewareFunction } from '@duplex/core';
export { callProcedure } from './call-procedure.js';
export { createCaller } from './create-caller.js';
export type {
  CallerCallOptions,
  CallerContext,
  CallerIterateOptions,
  CallerMutation,
  CallerQuery,
  CallerRecord,
  CallerSubscription,
  DuplexCaller,
  OptionalInputCallerMutation,
  OptionalInputCallerQuery,
  OptionalInputCallerSubscription,
} from './caller-types.js';
export { type CreateOptions, type DefaultErrorShape, type DuplexInit, type DuplexInstance, initDuplex } from './init.js';
export type { HandlerOptions, ProcedureBuilder, SubscriptionHandlerOptions } from './procedure-builder.js';
export type { ConnectionInstrumentation, Instrumentation, RequestInfo, RequestInstrumentation } from './instrumentation.js';
export { type ErrorEvent, ServerPeer, type ServerPeerOptions, type ServerTransport, type SharedPeerOptions } from './server-peer.js';
export { type AllowedOrigins, isOriginAllowed } from './origin.js';
export { DEFAULT_MAX_JSON_DEPTH } from '@duplex/core';
export {
  DEFAULT_HIGH_WATER_MARK_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CALLS_IN_FLIGHT,
  DEFAULT_MAX_PROTOCOL_ERRORS,
  DEFAULT_MAX_SUBSCRIPTIONS,
  BATCH_FLUSH_CHARS,
  MAX_TIMER_DELAY_MS,
  type PeerLimitOptions,
  type SocketLimitOptions,
} from './limits.js';
export { MAX_SHARED_EXPANSION } from './decode-input.js';
export { createSocketTransport, SLOW_CONSUMER_GRACE_MS, type SocketTransportOptions } from './socket-transport.js';
export {
  type CreateContextOptions,
  createWsServer,
  type WsServer,
  type WsServerOptions,
  type WsServerStats,
} from './ws-server.js';
export type { ServerStats, SocketServerLifecycle, SocketServerOptions } from './socket-server-options.js';
export {
  DEFAULT_DEVTOOLS_MAX_ERRORS,
  DEFAULT_DEVTOOLS_PATH,
  type DevtoolsError,
  type DevtoolsOptions,
  MIN_DEVTOOLS_TOKEN_LENGTH,
} from './devtools.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from '@duplex/core';
export { CLOSE_GRACE_MS, DEFAULT_DRAIN_MS, type Drainable, drainCalls } from './drain.js';
export { DEFAULT_SERVER_KEEP_ALIVE, type HeartbeatSocket, HeartbeatSweeper, type KeepAliveOptions } from './heartbeat.js';
export {
  DEFAULT_DEDUPE_MAX_ENTRIES,
  DEFAULT_DEDUPE_MAX_SESSIONS,
  DEFAULT_DEDUPE_WINDOW_MS,
  type DedupeClaim,
  type DedupeOutcome,
  type DedupeScope,
  type DedupeStore,
  defaultDedupeStore,
  MemoryDedupeStore,
  type MemoryDedupeStoreOptions,
} from './dedupe-store.js';
export type { MutationOptions } from '@duplex/core';
export { DEFAULT_STREAM_WINDOW, streamOf, type StreamSchema, type StreamSource, type StreamedOutput } from '@duplex/core';
