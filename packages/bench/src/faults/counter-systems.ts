import { createServer } from 'node:http';
import { createClient } from '@duplex/client';
import { createRedisDedupeStore } from '@duplex/pubsub/redis';
import { createWsServer, initDuplex } from '@duplex/server';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { Server as IoServer } from 'socket.io';
import { io as connectIo } from 'socket.io-client';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';

/**
 * The counter app of the `--mode=counter` fault bench on each system: one mutation, `bump(id)`,
 * that records its id and increments a counter, both in Redis, so the counter outlives a
 * SIGKILLed server process and the harness can tell which mutation ran how often.
 */

const HOST = '127.0.0.1';

/**
 * How long the duplex Redis dedupe window waits for a mutation claimed by a process that died
 * before a re-send answers `CONFLICT` (the store's default is 60 s; shortened so the run stays
 * bounded — the bench's handlers take a few milliseconds).
 */
export const BENCH_LEASE_MS = 5_000;

/** Applies mutation `id` once: records it and increments the counter atomically; returns the counter. */
export type ApplyMutation = (id: number) => Promise<number>;

/** A server process's side of one system. */
export interface CounterServer {
  close(): Promise<void>;
}

/** The client side: one mutation per call, settled however the system settles it. */
export interface CounterClient {
  bump(id: number): Promise<number>;
  close(): Promise<void>;
}

export interface CounterSystem {
  id: string;
  label: string;
  notes: string;
  /** Runs in the server process (counter-server.ts): listens on 127.0.0.1:`port`. */
  startServer(options: { port: number; apply: ApplyMutation; redisUrl: string; keyPrefix: string }): Promise<CounterServer & { port: number }>;
  /** Runs in the harness: connects to 127.0.0.1:`port` (the fault proxy). */
  connect(port: number): CounterClient;
}

async function listen(http: ReturnType<typeof createServer>, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, HOST, () => resolve());
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

const d = initDuplex.create();
function duplexRouter(apply: ApplyMutation) {
  return d.router({ bump: d.procedure.input(z.object({ id: z.number() })).mutation(({ input }) => apply(input.id)) });
}
type DuplexCounterRouter = ReturnType<typeof duplexRouter>;

/** duplex with its defaults, the dedupe window in Redis (`createRedisDedupeStore`) so it outlives the process. */
export const duplexCounter: CounterSystem = {
  id: 'duplex',
  label: 'duplex (defaults, window in Redis)',
  notes: `exactly-once on by default; createRedisDedupeStore({ leaseMs: ${BENCH_LEASE_MS} })`,
  async startServer({ port, apply, redisUrl, keyPrefix }) {
    const dedupe = createRedisDedupeStore({ url: redisUrl, keyPrefix, leaseMs: BENCH_LEASE_MS });
    const server = createWsServer({ router: duplexRouter(apply), dedupe });
    const bound = await server.listen({ port, host: HOST });
    return {
      port: bound.port,
      async close() {
        await server.close({ drainMs: 0 });
        await dedupe.close();
      },
    };
  },
  connect(port) {
    const client = createClient<DuplexCounterRouter>({ url: `ws://${HOST}:${port}`, WebSocket });
    return { bump: (id) => client.bump.mutate({ id }), close: () => client.close() };
  },
};

const t = initTRPC.create({ transformer: superjson });
function trpcRouter(apply: ApplyMutation) {
  return t.router({ bump: t.procedure.input(z.object({ id: z.number() })).mutation(({ input }) => apply(input.id)) });
}
type TrpcCounterRouter = ReturnType<typeof trpcRouter>;

/** tRPC v11 `applyWSSHandler` + `createWSClient`/`wsLink`, every option at its default. */
export const trpcCounter: CounterSystem = {
  id: 'trpc',
  label: 'tRPC v11 (defaults)',
  notes: 'wsLink; keepAlive off by default',
  async startServer({ port, apply }) {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    const handler = applyWSSHandler({ wss, router: trpcRouter(apply) });
    const bound = await listen(http, port);
    return {
      port: bound,
      async close() {
        handler.broadcastReconnectNotification();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        http.close();
      },
    };
  },
  connect(port) {
    const wsClient = createWSClient({ url: `ws://${HOST}:${port}`, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
    const client = createTRPCClient<TrpcCounterRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    return { bump: (id) => client.bump.mutate({ id }), close: async () => wsClient.close() };
  },
};

/** Socket.IO 4: `emit` with an acknowledgement, default options (WebSocket transport only). */
export const socketIoCounter: CounterSystem = {
  id: 'socket-io',
  label: 'Socket.IO 4 (defaults)',
  notes: "emit('bump', id, ack); no ack timeout by default",
  async startServer({ port, apply }) {
    const http = createServer();
    const io = new IoServer(http, { serveClient: false, wsEngine: WebSocketServer });
    io.on('connection', (socket) => {
      socket.on('bump', (id: number, ack: (n: number) => void) => {
        void apply(id).then(ack, () => {});
      });
    });
    const bound = await listen(http, port);
    return { port: bound, close: () => io.close().catch(() => {}) };
  },
  connect(port) {
    const socket = connectIo(`http://${HOST}:${port}`, { transports: ['websocket'], forceNew: true });
    return {
      bump: (id) => new Promise<number>((resolve) => socket.emit('bump', id, resolve)),
      async close() {
        socket.disconnect();
      },
    };
  },
};

export const counterSystems: readonly CounterSystem[] = [duplexCounter, trpcCounter, socketIoCounter];

export function counterSystemById(id: string): CounterSystem {
  const system = counterSystems.find((s) => s.id === id);
  if (!system) throw new Error(`unknown counter system "${id}"; known: ${counterSystems.map((s) => s.id).join(', ')}`);
  return system;
}
