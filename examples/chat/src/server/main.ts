import { fileURLToPath } from 'node:url';
import { type ChatServer, startChatServer } from './chat-server.js';

// `npm start`: dist/server.js (this file, bundled) serves dist/public beside it.
const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

let chat: ChatServer;
try {
  // DUPLEX_DEVTOOLS_TOKEN=<16+ characters> npm start also serves the devtools page (docs/devtools.md).
  const token = process.env.DUPLEX_DEVTOOLS_TOKEN;
  chat = await startChatServer({ publicDir, port, host, ...(token ? { devtools: { token } } : {}) });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  console.error(`Port ${port} on ${host} is in use. Pick another one: PORT=3001 npm start`);
  process.exit(1);
}
console.log(`duplex chat is running at ${chat.url}  (open it in two windows; Ctrl+C to stop)`);
console.log(`AsyncAPI document: ${chat.url}asyncapi.json`);
if (process.env.DUPLEX_DEVTOOLS_TOKEN) console.log(`devtools: ${chat.url}__duplex?token=<DUPLEX_DEVTOOLS_TOKEN>`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void chat.close().then(() => process.exit(0));
  });
}
