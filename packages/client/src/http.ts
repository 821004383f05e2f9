export type { HttpTransportOptions } from './http-socket.js';
export { HttpSocket } from './http-socket.js';
export { autoTransport, httpTransport } from './transports.js';
export type { ClientTransport } from './web-socket.js';
