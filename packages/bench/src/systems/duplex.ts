import { type ClientOptions, createClient } from '@duplex/client';
import { createWsServer } from '@duplex/server';
import { WebSocket } from 'ws';
import type { BenchSystem, SystemClient } from '../system.js';
import { benchRouter, type DuplexBenchRouter } from './duplex-router.js';

/** The bench's client calls on a duplex client, whatever its transport. */
export function duplexClient(options: ClientOptions): SystemClient {
  const client = createClient<DuplexBenchRouter>(options);
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
}

function duplexSystem(codec: 'superjson' | 'json', nowindow = false): BenchSystem {
  return {
    id: nowindow ? 'duplex-nowindow' : codec === 'superjson' ? 'duplex' : 'duplex-json',
    label: nowindow ? 'duplex (no credit window)' : codec === 'superjson' ? 'duplex (superjson)' : 'duplex (json codec)',
    richTypes: codec === 'superjson',
    async startServer({ host }) {
      const { router, publish, subscribers } = benchRouter();
      const server = createWsServer({ router, createContext: () => ({}) });
      const { port } = await server.listen({ port: 0, host });
      return { port, publish, subscribers, close: () => server.close() };
    },
    async connect({ host, port }) {
      return duplexClient({
        url: `ws://${host}:${port}`,
        WebSocket,
        codec,
        ...(nowindow ? { subscriptionWindow: Number.POSITIVE_INFINITY } : {}),
      });
    },
  };
}

/** duplex with its default superjson codec. */
export const duplexSuperjson: BenchSystem = duplexSystem('superjson');
/** duplex with the plain JSON codec. */
export const duplexJson: BenchSystem = duplexSystem('json');
/** duplex with subscription flow control off (`subscriptionWindow: Infinity`), to measure what credits cost. */
export const duplexNoWindow: BenchSystem = duplexSystem('superjson', true);
