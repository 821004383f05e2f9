import { createServer, type Server, type Socket, connect } from 'node:net';

/** One client connection through the proxy and its upstream twin. */
interface Link {
  client: Socket;
  upstream: Socket;
  stalled: boolean;
  /** Bytes held while stalled, per direction; released by `resume()`. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

/** An in-process TCP proxy on 127.0.0.1 that can break the links going through it. */
export interface FaultProxy extends AsyncDisposable {
  port: number;
  url: string;
  /** Links currently open. */
  readonly links: number;
  /** Destroys both sides of every current link (a network cut; new links still work). */
  cut(): void;
  /**
   * Stops forwarding on every current link in both directions and hides closes, keeping the
   * sockets open: a half-open link. New links still work.
   */
  stall(): void;
  /** Forwards again on stalled links, delivering what was held. */
  resume(): void;
  /** Sends new links to another port from now on (a load balancer switching backends). */
  retarget(port: number): void;
  /** Resolves when a new link has been accepted (counting from now). */
  nextLink(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a fault-injecting TCP proxy to `127.0.0.1:targetPort`.
 * @example
 * await using proxy = await startProxy(srv.port);
 * const client = srv.client({ url: proxy.url });
 * proxy.cut();
 */
export async function startProxy(targetPort: number): Promise<FaultProxy> {
  const links = new Set<Link>();
  let target = targetPort;
  let waiters: Array<() => void> = [];

  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target });
    const link: Link = { client, upstream, stalled: false, toUpstream: [], toClient: [] };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const forward = (from: Socket, to: Socket, held: Buffer[]) => {
      from.on('data', (chunk: Buffer) => {
        if (link.stalled) held.push(chunk);
        else if (!to.destroyed) to.write(chunk);
      });
      from.on('error', () => {});
      from.on('close', () => {
        // A half-open link hides the close from the other side, like a dead NAT entry.
        if (link.stalled) return;
        links.delete(link);
        to.destroy();
      });
    };
    forward(client, upstream, link.toUpstream);
    forward(upstream, client, link.toClient);
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy did not bind a TCP port');
  const port = address.port;

  const destroy = (link: Link) => {
    links.delete(link);
    link.client.destroy();
    link.upstream.destroy();
  };

  const proxy: FaultProxy = {
    port,
    url: `ws://127.0.0.1:${port}`,
    get links() {
      return links.size;
    },
    cut() {
      for (const link of [...links]) destroy(link);
    },
    stall() {
      for (const link of links) link.stalled = true;
    },
    resume() {
      for (const link of [...links]) {
        link.stalled = false;
        if (link.client.destroyed || link.upstream.destroyed) {
          destroy(link);
          continue;
        }
        for (const chunk of link.toUpstream.splice(0)) link.upstream.write(chunk);
        for (const chunk of link.toClient.splice(0)) link.client.write(chunk);
      }
    },
    retarget(port) {
      target = port;
    },
    nextLink() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      for (const link of [...links]) destroy(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    [Symbol.asyncDispose]() {
      return proxy.close();
    },
  };
  return proxy;
}
