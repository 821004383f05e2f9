import type { AnyRouter } from '@duplex/core';
import { type ClientControls, type ClientOptions, type ClientState, createClient, type DuplexClient, type WebSocketConstructor } from '@duplex/client';
import { createWsServer, type WsServer, type WsServerOptions } from '@duplex/server';
import { WebSocket } from 'ws';

/**
 * The WebSocket class tests use: the runtime's global one where it exists (Node 22+, so CI on
 * Node 24 exercises it), else the `ws` package's.
 */
export function nodeWebSocket(): WebSocketConstructor {
  return ((globalThis as { WebSocket?: unknown }).WebSocket ?? WebSocket) as WebSocketConstructor;
}

/** A server on 127.0.0.1 port 0 that closes itself with `await using`. */
export interface TestServer extends AsyncDisposable {
  server: WsServer;
  port: number;
  url: string;
  /** Clients made with {@link TestServer.client} are closed on dispose too. */
  client<TRouter extends AnyRouter>(options?: Partial<ClientOptions>): DuplexClient<TRouter>;
}

/** Starts a duplex server for a test. */
export async function startServer<TRouter extends AnyRouter>(
  router: TRouter,
  options: Omit<WsServerOptions<TRouter>, 'router'> = {},
): Promise<TestServer> {
  const server = createWsServer({ router, ...options });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `ws://127.0.0.1:${port}`;
  const clients: Array<{ close(): Promise<void> }> = [];
  return {
    server,
    port,
    url,
    client<TClientRouter extends AnyRouter>(clientOptions: Partial<ClientOptions> = {}) {
      const client = createClient<TClientRouter>({ url, WebSocket: nodeWebSocket(), ...clientOptions });
      clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close({ drainMs: 0 });
    },
  };
}

/** A promise with its resolve/reject exposed. */
export interface Deferred<TValue> {
  promise: Promise<TValue>;
  resolve(value: TValue): void;
  reject(error: unknown): void;
}

/** Creates a {@link Deferred}. */
export function deferred<TValue = void>(): Deferred<TValue> {
  let resolve!: (value: TValue) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<TValue>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves when `client.state` becomes `state`. */
export function waitForState(client: Pick<ClientControls, 'state' | 'on'>, state: ClientState): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('state', (s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

export { createMemoryPair, type MemoryPair } from './memory-pair.js';
export { type CountingClock, createCountingClock } from './counting-clock.js';
export { createFakeClock, type FakeClock } from './fake-clock.js';
export { type FaultProxy, startProxy } from './proxy.js';
export { FakeWebSocket, type SentMessage } from './fake-web-socket.js';
export { seeded } from './seeded.js';
export { type RequirementOptions, skipUnless } from './skip-unless.js';
export { CHROMIUM_INSTALL, type ChromiumLookup, findChromium } from './find-chromium.js';
export { type BrokerLookup, findNats, findRedis, portAnswers } from './find-broker.js';
export { type AsyncApiCheck, checkAsyncApi } from './asyncapi-check.js';
export { type FetchServer, type ServedFetchHandler, serveFetchHandler } from './fetch-server.js';

/** Reads an AsyncIterable to its end and returns its items (`Array.fromAsync`, which Node 20 lacks). */
export async function collect<TItem>(items: AsyncIterable<TItem>): Promise<TItem[]> {
  const out: TItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}
