import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { EventHub, iterateHub } from '../event-hub.js';
import { type BenchEvent, type DatedEvent, largeSchema, makeDatedEvent, makeEvent, richSchema, smallSchema } from '../payloads.js';
import type { BenchSystem } from '../system.js';

const t = initTRPC.create({ transformer: superjson });
function makeRouter(hub: EventHub<BenchEvent>, datedHub: EventHub<DatedEvent>) {
  return t.router({
    echo: t.procedure.input(smallSchema).query(({ input }) => input),
    echoLarge: t.procedure.input(largeSchema).query(({ input }) => input),
    echoRich: t.procedure.input(richSchema).mutation(({ input }) => input),
    events: t.procedure.subscription(async function* ({ signal }) {
      yield* iterateHub(hub, signal);
    }),
    datedEvents: t.procedure.subscription(async function* ({ signal }) {
      yield* iterateHub(datedHub, signal);
    }),
  });
}
type TrpcRouter = ReturnType<typeof makeRouter>;

/** tRPC v11 over WebSocket: `applyWSSHandler` on the server, `createWSClient` + `wsLink` with superjson. */
export const trpc: BenchSystem = {
  id: 'trpc',
  label: 'tRPC v11 ws + superjson',
  richTypes: true,
  async startServer({ host }) {
    const hub = new EventHub<BenchEvent>();
    const datedHub = new EventHub<DatedEvent>();
    const wss = new WebSocketServer({ host, port: 0, perMessageDeflate: false });
    const handler = applyWSSHandler({ wss, router: makeRouter(hub, datedHub) });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const address = wss.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return {
      port: address.port,
      publish(count, shape = 'plain') {
        if (shape === 'dated') for (let seq = 0; seq < count; seq++) datedHub.emit(makeDatedEvent(seq));
        else for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
      },
      subscribers: () => hub.size + datedHub.size,
      close: () =>
        new Promise<void>((resolve) => {
          handler.broadcastReconnectNotification();
          for (const client of wss.clients) client.terminate();
          wss.close(() => resolve());
        }),
    };
  },
  async connect({ host, port }) {
    const wsClient = createWSClient({
      url: `ws://${host}:${port}`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const client = createTRPCClient<TrpcRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    return {
      echo: (input) => client.echo.query(input),
      echoLarge: (input) => client.echoLarge.query(input),
      echoRich: (input) => client.echoRich.mutate(input),
      subscribe(onData, shape = 'plain') {
        const sub = (shape === 'dated' ? client.datedEvents : client.events).subscribe(undefined, { onData });
        return () => sub.unsubscribe();
      },
      close: () => wsClient.close(),
    };
  },
};
