import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running {@link startRefusingProxy}. */
export interface RefusingProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on `host` in front of `target` that forwards plain requests (streamed both ways,
 * so SSE passes) and answers every WebSocket upgrade with 403, as corporate proxies that block
 * WebSockets do.
 */
export async function startRefusingProxy(opts: { host: string; target: number }): Promise<RefusingProxy> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const upstream = request({ host: opts.host, port: opts.target, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, opts.host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      server.closeAllConnections();
      agent.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
