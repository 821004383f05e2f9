import { fileURLToPath } from 'node:url';
import { startTodoServer } from './todo-server.js';

// `npm start`: dist/server.js (this file, bundled) serves dist/public beside it.
const server = await startTodoServer({ publicDir: fileURLToPath(new URL('./public/', import.meta.url)), port: Number(process.env.PORT ?? 3000) });
console.log(`duplex React todo is running at ${server.url}  (open it in two windows; Ctrl+C to stop)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
