import { createClient } from '@duplex/client';
import { createWsServer, initDuplex } from '@duplex/server';
import { WebSocket } from 'ws';
import { EventHub, iterateHub } from '../event-hub.js';
import { type BenchEvent, type DatedEvent, largeSchema, makeDatedEvent, makeEvent, richSchema, smallSchema } from '../payloads.js';
import type { BenchSystem, SystemClient } from '../system.js';

const d = initDuplex.create();
function makeRouter(hub: EventHub<BenchEvent>, datedHub: EventHub<DatedEvent>) {
  return d.router({
    echo: d.procedure.input(smallSchema).query(({ input }) => input),
    /** `echo` as a mutation: goes through the dedupe window (exactly-once), for `duplex-mutation*`. */
    echoMutation: d.procedure.input(smallSchema).mutation(({ input }) => input),
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

/** A/B variants: what they switch off or change against the defaults. */
interface DuplexVariant {
  id: string;
  label: string;
  /** `subscriptionWindow: Infinity`: no credit flow control. */
  nowindow?: boolean;
  /** `dedupe: false` on the server: no exactly-once window. */
  nodedupe?: boolean;
  /** `echo` calls go to a mutation (which the window sees) instead of a query. */
  mutation?: boolean;
}

function duplexSystem(codec: 'superjson' | 'json', variant?: DuplexVariant): BenchSystem {
  const nowindow = variant?.nowindow === true;
  return {
    id: variant?.id ?? (codec === 'superjson' ? 'duplex' : 'duplex-json'),
    label: variant?.label ?? (codec === 'superjson' ? 'duplex (superjson)' : 'duplex (json codec)'),
    richTypes: codec === 'superjson',
    async startServer({ host }) {
      const hub = new EventHub<BenchEvent>();
      const datedHub = new EventHub<DatedEvent>();
      const server = createWsServer({
        router: makeRouter(hub, datedHub),
        createContext: () => ({}),
        ...(variant?.nodedupe ? { dedupe: false as const } : {}),
      });
      const { port } = await server.listen({ port: 0, host });
      return {
        port,
        publish(count, shape = 'plain') {
          if (shape === 'dated') for (let seq = 0; seq < count; seq++) datedHub.emit(makeDatedEvent(seq));
          else for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
        },
        subscribers: () => hub.size + datedHub.size,
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
        echo: variant?.mutation ? (input) => client.echoMutation.mutate(input) : (input) => client.echo.query(input),
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
export const duplexNoWindow: BenchSystem = duplexSystem('superjson', { id: 'duplex-nowindow', label: 'duplex (no credit window)', nowindow: true });
/** duplex with `dedupe: false` (no exactly-once window), to measure what the window costs. */
export const duplexNoDedupe: BenchSystem = duplexSystem('superjson', { id: 'duplex-nodedupe', label: 'duplex (dedupe: false)', nodedupe: true });
/** duplex whose `echo` is a mutation: every call claims and records a slot in the window. */
export const duplexMutation: BenchSystem = duplexSystem('superjson', { id: 'duplex-mutation', label: 'duplex (echo as mutation)', mutation: true });
/** The same mutation with `dedupe: false`: the window's cost per mutation is the difference. */
export const duplexMutationNoDedupe: BenchSystem = duplexSystem('superjson', {
  id: 'duplex-mutation-nodedupe',
  label: 'duplex (echo as mutation, dedupe: false)',
  mutation: true,
  nodedupe: true,
});
