import { createServer, type ServerResponse } from 'node:http';
import { type AllowedOrigins, createWsServer, type DevtoolsOptions, type WsServer } from '@duplex/server';
import { z } from 'zod';
import { ASYNCAPI_PATH, asyncApiResponder } from './asyncapi.js';
import { chatRouter } from './router.js';
import { staticFiles } from './static-files.js';
import { ChatStore } from './store.js';

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** Directory of the built front end (index.html, app.js, style.css). */
  publicDir: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default a fresh store with the default rooms */
  store?: ChatStore;
  /** Pages of other origins allowed to connect. @default same-origin pages only */
  allowedOrigins?: AllowedOrigins;
  /** Serve the devtools page (docs/devtools.md). @default off */
  devtools?: DevtoolsOptions;
}

/** A running chat: one Node http server for the page and the duplex socket on `/rpc`. */
export interface ChatServer extends AsyncDisposable {
  /** The page to open, e.g. `http://127.0.0.1:3000/`. */
  url: string;
  port: number;
  wsServer: WsServer;
  store: ChatStore;
  close(): Promise<void>;
}

/** The WebSocket path the front end connects to. */
export const RPC_PATH = '/rpc';

const userName = z.string().trim().min(1).max(24);

/** Starts the chat: serves the front end and attaches the duplex server on {@link RPC_PATH}. */
export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const store = options.store ?? new ChatStore();
  const serveFile = staticFiles(options.publicDir);
  let serveAsyncApi: ((response: ServerResponse) => void) | undefined; // once the port is known
  const http = createServer((request, response) => {
    if (wsServer.handleDevtools(request, response)) return;
    if (serveAsyncApi && request.method === 'GET' && request.url === ASYNCAPI_PATH) return serveAsyncApi(response);
    // Fire and forget: the handler answers its own errors (400/404/405) and never rejects.
    void serveFile(request, response);
  });
  const wsServer = createWsServer({
    router: chatRouter,
    // The name comes from connectionParams; it is only a display name, not authentication.
    createContext: ({ connectionParams }) => {
      const parsed = userName.safeParse(connectionParams?.name);
      return { user: parsed.success ? parsed.data : null, store };
    },
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.devtools ? { devtools: options.devtools } : {}),
  });
  wsServer.attach(http, { path: RPC_PATH });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await wsServer.close(); // e.g. EADDRINUSE: release what createWsServer holds
    throw error;
  }
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('chat server did not bind a TCP port');
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await wsServer.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      store.dispose();
    })();
    return closing;
  };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  serveAsyncApi = asyncApiResponder(`${shownHost}:${address.port}`, RPC_PATH);
  return { url: `http://${shownHost}:${address.port}/`, port: address.port, wsServer, store, close, [Symbol.asyncDispose]: close };
}
