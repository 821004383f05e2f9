export { DuplexError, type ErrorCode, ERROR_CODES, tracked, type Tracked } from '@duplex/core';
export type { AnyRouter, InferRouterContext, InferRouterInputs, InferRouterOutputs, MiddlewareFunction } from '@duplex/core';
export { callProcedure } from './call-procedure.js';
export { type DuplexInstance, initDuplex } from './init.js';
export type { HandlerOptions, ProcedureBuilder, SubscriptionHandlerOptions } from './procedure-builder.js';
export { type ErrorEvent, ServerPeer, type ServerPeerOptions, type ServerTransport } from './server-peer.js';
export { type AllowedOrigins, isOriginAllowed } from './origin.js';
export {
  type CreateContextOptions,
  createWsServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  type WsServer,
  type WsServerOptions,
  type WsServerStats,
} from './ws-server.js';
export { CLOSE_GRACE_MS, DEFAULT_DRAIN_MS, type Drainable, drainCalls } from './drain.js';
export { DEFAULT_SERVER_KEEP_ALIVE, type HeartbeatSocket, HeartbeatSweeper, type KeepAliveOptions } from './heartbeat.js';
