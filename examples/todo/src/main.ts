import { createWsServer } from '@duplex/server';
import { runDemo } from './demo-client.js';
import { createTodoRouter } from './router.js';

const server = createWsServer({
  router: createTodoRouter(),
  createContext: ({ connectionParams }) => ({ user: typeof connectionParams?.user === 'string' ? connectionParams.user : null }),
});
const port = Number(process.env.PORT ?? 3000);
const { port: actual } = await server.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
const url = `ws://127.0.0.1:${actual}`;
console.log(`duplex todo server listening on ${url}\n\nRunning the demo client:`);
await runDemo(url, 'ada');
console.log('\nServer still running; press Ctrl+C to stop.');
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
