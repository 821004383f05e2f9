import { initDuplex } from '@duplex/server';
import { EventHub, iterateHub } from '../event-hub.js';
import { type BenchEvent, type DatedEvent, largeSchema, makeDatedEvent, makeEvent, richSchema, smallSchema } from '../payloads.js';
import type { SystemServer } from '../system.js';

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

/** The bench router of the Bun, Deno and HTTP systems (the procedures of systems/duplex.ts but `echoMutation`), with its event sources. */
export function benchRouter(): { router: DuplexBenchRouter } & Pick<SystemServer, 'publish' | 'subscribers'> {
  const hub = new EventHub<BenchEvent>();
  const datedHub = new EventHub<DatedEvent>();
  return {
    router: makeRouter(hub, datedHub),
    publish(count, shape = 'plain') {
      if (shape === 'dated') for (let seq = 0; seq < count; seq++) datedHub.emit(makeDatedEvent(seq));
      else for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
    },
    subscribers: () => hub.size + datedHub.size,
  };
}
