import { initDuplex } from '@duplex/server';
import { EventHub, iterateHub } from '../event-hub.js';
import { type BenchEvent, type DatedEvent, largeSchema, makeDatedEvent, makeEvent, richSchema, smallSchema } from '../payloads.js';
import type { SystemServer } from '../system.js';

type Builder = ReturnType<typeof initDuplex.create>;

/** The bench router, built with `d` (this checkout's `initDuplex`, or a `--base` build's). */
export function makeRouter(d: Builder, hub: EventHub<BenchEvent>, datedHub: EventHub<DatedEvent>) {
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

/** The bench router of the Bun, Deno and HTTP systems, with its event sources. */
export function benchRouter(): { router: DuplexBenchRouter } & Pick<SystemServer, 'publish' | 'subscribers'> {
  const hub = new EventHub<BenchEvent>();
  const datedHub = new EventHub<DatedEvent>();
  return {
    router: makeRouter(initDuplex.create(), hub, datedHub),
    publish(count, shape = 'plain') {
      if (shape === 'dated') for (let seq = 0; seq < count; seq++) datedHub.emit(makeDatedEvent(seq));
      else for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
    },
    subscribers: () => hub.size + datedHub.size,
  };
}
