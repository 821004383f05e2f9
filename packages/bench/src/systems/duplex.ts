import { createClient } from '@duplex/client';
import { createWsServer, initDuplex } from '@duplex/server';
import { WebSocket } from 'ws';
import { EventHub, iterateHub } from '../event-hub.js';
import { type BenchEvent, type DatedEvent, largeSchema, makeDatedEvent, makeEvent, richSchema, smallSchema } from '../payloads.js';
import type { BenchSystem, SystemClient } from '../system.js';
import { type BenchOtel, startBenchOtel } from './otel-setup.js';

const d = initDuplex.create();
function makeRouter(hub: EventHub<BenchEvent>, datedHub: EventHub<DatedEvent>) {
  return d.router({
    echo: d.procedure.input(smallSchema).query(({ input }) => input),
    echoLarge: d.procedure.input(largeSchema).query(({ input }) => input),
    echoRich: d.procedure.input(richSchema).mutation(({ input }) => input),
    events: d.procedure.subscription(async function* ({ signal }) {
      yield* iterateHub(hub, signal);
    }),
    datedEvents: d.procedure.subscription(async function* ({ signal }) {
      yield* iterateHub(datedHub, signal);
    }),
  });
}
export type DuplexBenchRouter = ReturnType<typeof makeRouter>;

function duplexSystem(codec: 'superjson' | 'json', variant?: 'nowindow' | 'otel'): BenchSystem {
  const nowindow = variant === 'nowindow';
  return {
    id: variant ? `duplex-${variant}` : codec === 'superjson' ? 'duplex' : 'duplex-json',
    label: nowindow ? 'duplex (no credit window)' : variant === 'otel' ? 'duplex (OpenTelemetry on)' : codec === 'superjson' ? 'duplex (superjson)' : 'duplex (json codec)',
    richTypes: codec === 'superjson',
    async startServer({ host }) {
      const hub = new EventHub<BenchEvent>();
      const datedHub = new EventHub<DatedEvent>();
      const otel: BenchOtel | undefined = variant === 'otel' ? await startBenchOtel() : undefined;
      const server = createWsServer({
        router: makeRouter(hub, datedHub),
        createContext: () => ({}),
        ...(otel ? { instrumentation: otel.instrumentation } : {}),
      });
      const { port } = await server.listen({ port: 0, host });
      return {
        port,
        publish(count, shape = 'plain') {
          if (shape === 'dated') for (let seq = 0; seq < count; seq++) datedHub.emit(makeDatedEvent(seq));
          else for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
        },
        subscribers: () => hub.size + datedHub.size,
        async close() {
          await server.close();
          await otel?.stop();
        },
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
        echoRich: (input) => client.echoRich.mutate(input),
        subscribe(onData, shape = 'plain') {
          const sub = (shape === 'dated' ? client.datedEvents : client.events).subscribe(undefined, { onData });
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
export const duplexNoWindow: BenchSystem = duplexSystem('superjson', 'nowindow');
/** duplex with `otelInstrumentation()` on (spans and metrics to an SDK that exports nowhere), to measure what tracing costs. */
export const duplexOtel: BenchSystem = duplexSystem('superjson', 'otel');
