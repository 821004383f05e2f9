export { createDenoServer, type DenoServeInfo, type DenoServer, type DenoServerOptions } from './deno-server.js';
