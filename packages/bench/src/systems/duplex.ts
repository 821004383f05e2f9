import { createClient } from '@duplex/client';
import { createWsServer, initDuplex } from '@duplex/server';
import { WebSocket } from 'ws';
import { EventHub, iterateHub } from '../event-hub.js';
import { type BenchEvent, largeSchema, makeEvent, smallSchema } from '../payloads.js';
import type { BenchSystem, SystemClient } from '../system.js';

const d = initDuplex.create();
function makeRouter(hub: EventHub<BenchEvent>) {
  return d.router({
    echo: d.procedure.input(smallSchema).query(({ input }) => input),
    echoLarge: d.procedure.input(largeSchema).query(({ input }) => input),
    events: d.procedure.subscription(async function* ({ signal }) {
      yield* iterateHub(hub, signal);
    }),
  });
}
export type DuplexBenchRouter = ReturnType<typeof makeRouter>;

function duplexSystem(codec: 'superjson' | 'json', nowindow = false): BenchSystem {
  return {
    id: nowindow ? 'duplex-nowindow' : codec === 'superjson' ? 'duplex' : 'duplex-json',
    label: nowindow ? 'duplex (no credit window)' : codec === 'superjson' ? 'duplex (superjson)' : 'duplex (json codec)',
    async startServer({ host }) {
      const hub = new EventHub<BenchEvent>();
      const server = createWsServer({ router: makeRouter(hub), createContext: () => ({}) });
      const { port } = await server.listen({ port: 0, host });
      return {
        port,
        publish(count) {
          for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
        },
        subscribers: () => hub.size,
        close: () => server.close(),
      };
    },
    async connect({ host, port }): Promise<SystemClient> {
      const client = createClient<DuplexBenchRouter>({
        url: `ws://${host}:${port}`,
        WebSocket,
        codec,
        ...(nowindow ? { subscriptionWindow: Number.POSITIVE_INFINITY } : {}),
      });
      return {
        echo: (input) => client.echo.query(input),
        echoLarge: (input) => client.echoLarge.query(input),
        subscribe(onData) {
          const sub = client.events.subscribe(undefined, { onData });
          return () => sub.unsubscribe();
        },
        close: () => client.close(),
      };
    },
  };
}

/** duplex with its default superjson codec. */
export const duplexSuperjson: BenchSystem = duplexSystem('superjson');
/** duplex with the plain JSON codec. */
export const duplexJson: BenchSystem = duplexSystem('json');
/** duplex with subscription flow control off (`subscriptionWindow: Infinity`), to measure what credits cost. */
export const duplexNoWindow: BenchSystem = duplexSystem('superjson', true);
