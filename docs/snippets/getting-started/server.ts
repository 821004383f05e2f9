// server.ts — serve the router over WebSocket
import { createWsServer } from '@duplex/server';
import { appRouter } from './router.js';

const server = createWsServer({ router: appRouter });
const { port } = await server.listen({ port: 3000, host: '127.0.0.1' });
console.log(`duplex server on ws://127.0.0.1:${port}`);
