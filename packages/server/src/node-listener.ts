import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { headerRecord } from './header-record.js';

/**
 * Adapts a Fetch handler (`Request → Response`) to Node's `http.createServer` listener, streaming
 * both bodies (SSE included; a JSON answer is sent whole); the Request's signal aborts when the
 * client goes away. The handler's second argument holds the client's address (`remoteAddr.hostname`).
 * @example
 * http.createServer(toNodeListener(createFetchHandler({ router }).fetch)).listen(3000);
 */
export function toNodeListener(
  fetch: (request: Request, info: { remoteAddr: { hostname?: string } }) => Promise<Response>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(url, {
      method: req.method ?? 'GET',
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit);
    // The TCP peer, in the shape of Deno's handler info (the devtools page answers loopback only).
    const info: { remoteAddr: { hostname?: string } } = { remoteAddr: {} };
    if (req.socket.remoteAddress !== undefined) info.remoteAddr.hostname = req.socket.remoteAddress;
    fetch(request, info)
      .then(async (response) => {
        if (!response.body || response.headers.get('content-type')?.startsWith('application/json')) {
          // A JSON answer is whole: head and body in one write with a Content-Length, not a
          // flushed head then chunks (two segments and chunked framing on every call).
          const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
          res.writeHead(response.status, { ...headerRecord(response.headers), ...(body ? { 'content-length': String(body.byteLength) } : {}) });
          return void res.end(body);
        }
        res.writeHead(response.status, headerRecord(response.headers));
        res.flushHeaders();
        const reader = response.body.getReader();
        controller.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          // Respect the socket's buffer: wait for 'drain' before reading on, so SSE backpressure reaches the peer.
          if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve));
        }
        res.end();
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end();
      });
  };
}
