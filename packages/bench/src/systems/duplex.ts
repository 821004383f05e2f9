import { pathToFileURL } from 'node:url';
import { createClient } from '@duplex/client';
import { createWsServer, initDuplex } from '@duplex/server';
import { WebSocket } from 'ws';
import { BASE_DIR } from '../build-duplex.js';
import { EventHub } from '../event-hub.js';
import { type BenchEvent, type DatedEvent, makeDatedEvent, makeEvent } from '../payloads.js';
import type { BenchSystem, SystemClient } from '../system.js';
import { duplexClient } from './duplex-client.js';
import { makeRouter } from './duplex-router.js';
import { type BenchOtel, startBenchOtel } from './otel-setup.js';

/** The duplex entry points a system runs: this checkout's, or another commit's built by `--base`. */
interface DuplexModules {
  createWsServer: typeof createWsServer;
  initDuplex: typeof initDuplex;
  createClient: typeof createClient;
}

const current: DuplexModules = { createWsServer, initDuplex, createClient };

async function loadBase(): Promise<DuplexModules> {
  const load = (name: string) => import(pathToFileURL(`${BASE_DIR}node_modules/@duplex/${name}/dist/index.js`).href);
  const [server, client] = await Promise.all([load('server'), load('client')]);
  if (!server.createWsServer) throw new Error('duplex-base needs `npm run bench -- --base=<git ref>` to build it first');
  return { createWsServer: server.createWsServer, initDuplex: server.initDuplex, createClient: client.createClient };
}


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
  /** `otelInstrumentation()` on the server. */
  otel?: boolean;
  /** Another commit's build (`--base=<git ref>`). */
  base?: boolean;
}

function duplexSystem(codec: 'superjson' | 'json', variant?: DuplexVariant): BenchSystem {
  const nowindow = variant?.nowindow === true;
  const modules = variant?.base ? loadBase : () => Promise.resolve(current);
  return {
    id: variant?.id ?? (codec === 'superjson' ? 'duplex' : 'duplex-json'),
    label: variant?.label ?? (codec === 'superjson' ? 'duplex (superjson)' : 'duplex (json codec)'),
    richTypes: codec === 'superjson',
    async startServer({ host }) {
      const { createWsServer, initDuplex } = await modules();
      const hub = new EventHub<BenchEvent>();
      const datedHub = new EventHub<DatedEvent>();
      const otel: BenchOtel | undefined = variant?.otel ? await startBenchOtel() : undefined;
      const server = createWsServer({
        router: makeRouter(initDuplex.create(), hub, datedHub),
        createContext: () => ({}),
        ...(otel ? { instrumentation: otel.instrumentation } : {}),
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
        async close() {
          await server.close();
          await otel?.stop();
        },
      };
    },
    async connect({ host, port }): Promise<SystemClient> {
      const { createClient } = await modules();
      const options = { url: `ws://${host}:${port}`, WebSocket, codec, ...(nowindow ? { subscriptionWindow: Number.POSITIVE_INFINITY } : {}) };
      return duplexClient(options, { mutation: variant?.mutation === true, create: createClient });
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
/** duplex with `otelInstrumentation()` on (spans and metrics to an SDK that exports nowhere), to measure what tracing costs. */
export const duplexOtel: BenchSystem = duplexSystem('superjson', { id: 'duplex-otel', label: 'duplex (OpenTelemetry on)', otel: true });
/** duplex built from another commit by `--base=<git ref>`, to measure a change against its parent in the same run. */
export const duplexBase: BenchSystem = duplexSystem('superjson', { id: 'duplex-base', label: 'duplex (--base build)', base: true });
