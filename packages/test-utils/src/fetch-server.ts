import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from '@duplex/server/node';

/** What {@link serveFetchHandler} needs of a Fetch handler. */
export interface ServedFetchHandler {
  fetch: Parameters<typeof toNodeListener>[0];
  close(options?: { drainMs?: number }): Promise<void>;
}

/** A Fetch handler on Node's http at 127.0.0.1, on a free port. */
export interface FetchServer extends AsyncDisposable {
  server: Server;
  port: number;
  /** `ws://127.0.0.1:<port>`: what a client's `url` takes (the HTTP transport derives its base from it). */
  url: string;
  /** Closes the handler (no drain), then every connection and the listener. */
  close(): Promise<void>;
}

/**
 * Serves `handler` through `toNodeListener` on a free port of 127.0.0.1. With `refuseUpgrades`,
 * every WebSocket upgrade gets a 403, as from a proxy that blocks WebSockets.
 */
export async function serveFetchHandler(handler: ServedFetchHandler, { refuseUpgrades = false } = {}): Promise<FetchServer> {
  const server = createServer(toNodeListener(handler.fetch));
  if (refuseUpgrades) server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    await handler.close({ drainMs: 0 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, port, url: `ws://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
