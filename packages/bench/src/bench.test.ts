import { describe, expect, it, vi } from 'vitest';
import { takesPart } from './config.js';
import { type EventShape, largePayload, makeDatedEvent, richPayload, smallPayload } from './payloads.js';
import { runClosedLoop } from './scenarios/closed-loop.js';
import { DeliveryCounter, fanOutRound } from './scenarios/fan-out.js';
import { startServer } from './run-scenarios.js';
import type { ServerRequest } from './server-process.js';
import type { BenchSystem } from './system.js';
import { systems } from './systems/index.js';
import { stopWorker } from './workers.js';

const HOST = '127.0.0.1';

/** The test's view of a server: a Node system's in this process; a Bun or Deno one in a server process under that runtime, as the bench runs it. */
interface TestServer {
  port: number;
  publish(count: number, shape?: EventShape): Promise<void>;
  subscribers(): Promise<number>;
  close(): Promise<void>;
}

async function serve(system: BenchSystem): Promise<TestServer> {
  if ((system.runtime ?? 'node') === 'node') {
    const server = await system.startServer({ host: HOST });
    return { port: server.port, publish: async (count, shape) => server.publish(count, shape), subscribers: async () => server.subscribers(), close: () => server.close() };
  }
  const { server, port } = await startServer(system, [], true);
  return {
    port,
    publish: (count, shape = 'plain') => server.ipc.request<void>({ op: 'publish', count, shape } satisfies ServerRequest),
    subscribers: () => server.ipc.request<number>({ op: 'subscribers' } satisfies ServerRequest),
    async close() {
      await server.ipc.request({ op: 'close' } satisfies ServerRequest);
      await stopWorker(server);
    },
  };
}

describe.each(systems)('$label', (system) => {
  it('echoes, keeps calls in flight and fans out events', { timeout: 30_000 }, async () => {
    const server = await serve(system);
    const client = await system.connect({ host: HOST, port: server.port });
    try {
      expect(await client.echo(smallPayload)).toEqual(smallPayload);
      expect(await client.echoLarge(largePayload)).toEqual(largePayload);

      const run = await runClosedLoop({ clients: [client], inFlight: 4, durationMs: 200, call: (c) => c.echo(smallPayload) });
      expect(run.calls).toBeGreaterThan(0);

      if (takesPart(system, 'k')) {
        // Scenario (k): 100 queries of one tick (one batch request over HTTP), each with its own answer.
        const inputs = Array.from({ length: 100 }, (_, id) => ({ ...smallPayload, id }));
        expect(await Promise.all(inputs.map((input) => client.echo(input)))).toEqual(inputs);
      }

      if (takesPart(system, 'd')) {
        const counter = new DeliveryCounter();
        const stop = client.subscribe(counter.onData);
        await vi.waitFor(async () => expect(await server.subscribers()).toBe(1));
        const publish = (count: number) => server.publish(count);
        const round = await fanOutRound({ counter, subscribers: 1, events: 5, publish, timeoutMs: 10_000 });
        expect(round.deliveries).toBe(5);
        stop();
        await vi.waitFor(async () => expect(await server.subscribers()).toBe(0));
      }

      if (takesPart(system, 'i')) {
        // Scenarios (i) and (j): Date and Map survive the echo, Dates the fan-out.
        expect(await client.echoRich?.(richPayload)).toEqual(richPayload);
        const values: unknown[] = [];
        const dated = new DeliveryCounter();
        const stopDated = client.subscribe((value) => {
          values.push(value);
          dated.onData();
        }, 'dated');
        await vi.waitFor(async () => expect(await server.subscribers()).toBe(1));
        const publishDated = (count: number) => server.publish(count, 'dated');
        expect((await fanOutRound({ counter: dated, subscribers: 1, events: 3, publish: publishDated, timeoutMs: 10_000 })).deliveries).toBe(3);
        expect(values).toEqual([makeDatedEvent(0), makeDatedEvent(1), makeDatedEvent(2)]);
        stopDated();
        await vi.waitFor(async () => expect(await server.subscribers()).toBe(0));
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
});
