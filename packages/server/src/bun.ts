export {
  type BunServer,
  type BunServerHandle,
  type BunServerOptions,
  type BunSocket,
  type BunSocketData,
  type BunWebSocketHandler,
  createBunServer,
} from './bun-server.js';
