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

/** The shape of `@duplex/client` this adapter relies on (see /work/shared/design.md). */
interface DuplexClientModule {
  createClient(opts: { url: string; WebSocket: unknown; codec?: 'json' | 'superjson' }): {
    echo: { query(input: unknown): Promise<unknown> };
    echoLarge: { query(input: unknown): Promise<unknown> };
    events: { subscribe(input: undefined, handlers: { onData(value: unknown): void }): { unsubscribe(): void } };
    close(): Promise<void>;
  };
}

// Loaded lazily so the other systems still run while the client package is being written.
const clientSpecifier = '@duplex/client';
async function loadClient(): Promise<DuplexClientModule> {
  try {
    return (await import(clientSpecifier)) as DuplexClientModule;
  } catch (cause) {
    throw new Error('@duplex/client is not available yet (package has no src/index.ts)', { cause });
  }
}

function duplexSystem(codec: 'superjson' | 'json'): BenchSystem {
  return {
    id: codec === 'superjson' ? 'duplex' : 'duplex-json',
    label: codec === 'superjson' ? 'duplex (superjson)' : 'duplex (json codec)',
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
      const { createClient } = await loadClient();
      const client = createClient({ url: `ws://${host}:${port}`, WebSocket, codec });
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
