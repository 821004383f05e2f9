export { DuplexError, type ErrorCode } from '@duplex/core';
export { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
export { ClientPeer, type ClientPeerOptions, DEFAULT_MAX_QUEUED_CALLS } from './client-peer.js';
export type { ConnectionParams } from './connection.js';
export { type ClientOptions, createClient } from './create-client.js';
export type * from './types.js';
export type { ClientTransport, WebSocketConstructor, WebSocketLike } from './web-socket.js';
export { DEFAULT_CLIENT_KEEP_ALIVE, type KeepAliveOptions } from './heartbeat.js';
export { DEFAULT_LAZY, type LazyOptions } from './idle-timer.js';
