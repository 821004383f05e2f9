import { createServer } from 'node:http';
import { createMemoryPubSub } from '@duplex/pubsub';
import { createWsServer } from '@duplex/server';
import type { LiveMessage } from '@duplex/tanstack-query/server';
import { createTodoRouter } from './router.js';
import { staticFiles } from './static-files.js';
import { TodoStore } from './todo-store.js';

/** Options of {@link startTodoServer}. */
export interface TodoServerOptions {
  /** Directory of the built front end. */
  publicDir: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default a new empty store */
  store?: TodoStore;
}

/** A running todo app: the page and the duplex socket on `/rpc`. */
export interface TodoServer extends AsyncDisposable {
  url: string;
  port: number;
  store: TodoStore;
  close(): Promise<void>;
}

/** Starts the React todo example's server on 127.0.0.1. */
export async function startTodoServer(options: TodoServerOptions): Promise<TodoServer> {
  const store = options.store ?? new TodoStore();
  // One process here; createRedisPubSub or createNatsPubSub carries invalidations between several.
  const pubsub = createMemoryPubSub<{ 'duplex.live': LiveMessage }>({ replay: 1_000 });
  const serveFile = staticFiles(options.publicDir);
  const http = createServer((request, response) => void serveFile(request, response));
  const wsServer = createWsServer({ router: createTodoRouter(store, pubsub) });
  wsServer.attach(http, { path: '/rpc' });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('todo server did not bind a TCP port');
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await wsServer.close({ drainMs: 0 });
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await pubsub.close();
    })();
    return closing;
  };
  return { url: `http://127.0.0.1:${address.port}/`, port: address.port, store, close, [Symbol.asyncDispose]: close };
}
