import { describe, expect, it, vi } from 'vitest';
import { largePayload, makeDatedEvent, richPayload, smallPayload } from './payloads.js';
import { runClosedLoop } from './scenarios/closed-loop.js';
import { DeliveryCounter, fanOutRound } from './scenarios/fan-out.js';
import { systems } from './systems/index.js';

const HOST = '127.0.0.1';

describe.each(systems)('$label', (system) => {
  it('echoes, keeps calls in flight and fans out events', async () => {
    const server = await system.startServer({ host: HOST });
    const client = await system.connect({ host: HOST, port: server.port });
    try {
      expect(await client.echo(smallPayload)).toEqual(smallPayload);
      expect(await client.echoLarge(largePayload)).toEqual(largePayload);

      const run = await runClosedLoop({ clients: [client], inFlight: 4, durationMs: 200, call: (c) => c.echo(smallPayload) });
      expect(run.calls).toBeGreaterThan(0);

      const counter = new DeliveryCounter();
      const stop = client.subscribe(counter.onData);
      await vi.waitFor(() => expect(server.subscribers()).toBe(1));
      const publish = async (count: number) => server.publish(count);
      const round = await fanOutRound({ counter, subscribers: 1, events: 5, publish, timeoutMs: 10_000 });
      expect(round.deliveries).toBe(5);
      stop();
      await vi.waitFor(() => expect(server.subscribers()).toBe(0));

      if (system.richTypes) {
        // Scenarios (i) and (j): Date and Map survive the echo, Dates the fan-out.
        expect(await client.echoRich?.(richPayload)).toEqual(richPayload);
        const values: unknown[] = [];
        const dated = new DeliveryCounter();
        const stopDated = client.subscribe((value) => {
          values.push(value);
          dated.onData();
        }, 'dated');
        await vi.waitFor(() => expect(server.subscribers()).toBe(1));
        const publishDated = async (count: number) => server.publish(count, 'dated');
        expect((await fanOutRound({ counter: dated, subscribers: 1, events: 3, publish: publishDated, timeoutMs: 10_000 })).deliveries).toBe(3);
        expect(values).toEqual([makeDatedEvent(0), makeDatedEvent(1), makeDatedEvent(2)]);
        stopDated();
        await vi.waitFor(() => expect(server.subscribers()).toBe(0));
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
});
