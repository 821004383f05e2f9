// The server's own work, driven in-process with no socket: one ServerPeer fed frames of 64
// calls (as scenario (b)), and 100 ServerPeers subscribed to one event source (as scenario (d)).
// Frames go out to a counter. Used by `npm run bench:server-ab` to compare two builds.
import { z } from 'zod';

/** What the bench needs of a `@duplex/server` build (this checkout's, or a `--base` build's). */
export interface ServerBuild {
  initDuplex: typeof import('@duplex/server').initDuplex;
  ServerPeer: typeof import('@duplex/server').ServerPeer;
}

export interface ServerWork {
  /** `rounds` frames of 64 small queries each, every round answered before the next. */
  calls(rounds: number): Promise<void>;
  /** `events` events, each delivered to every subscriber before the next. */
  fanOut(events: number): Promise<void>;
}

export const CALLS_PER_ROUND = 64;
export const SUBSCRIBERS = 100;

const HELLO = '{"t":"hello","v":1,"codec":"superjson"}';
const CALL_BODY = '"kind":"query","path":"echo","input":{"json":{"id":42,"name":"bench","tags":["a","b"]}}}';

function occurrences(frame: string | Uint8Array, tag: string): number {
  return typeof frame === 'string' ? frame.split(tag).length - 1 : 0;
}

/** A router, one calling peer and {@link SUBSCRIBERS} subscribed peers on `build`. */
export async function createServerWork(build: ServerBuild): Promise<ServerWork> {
  const d = build.initDuplex.create();
  /** Subscribers waiting for the next event. */
  const waiting = new Set<(value: unknown) => void>();
  const router = d.router({
    echo: d.procedure.input(z.object({ id: z.number().int(), name: z.string(), tags: z.array(z.string()) })).query(({ input }) => input),
    events: d.procedure.subscription(async function* ({ signal }) {
      while (!signal.aborted) yield await new Promise((resolve) => waiting.add(resolve));
    }),
  });
  let received = 0;
  let wake = () => {};
  const until = (count: number) =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (received >= count) resolve();
      };
    });
  const peer = (tag: string) =>
    new build.ServerPeer({
      router,
      connectionId: 'bench',
      transport: {
        send: (frame) => {
          received += occurrences(frame, tag);
          wake();
        },
        close: () => {},
      },
      createContext: () => ({}),
      schedule: (flush) => process.nextTick(flush),
    });
  const caller = peer('"t":"result"');
  caller.receive(HELLO);
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const subscriber = peer('"t":"data"');
    subscriber.receive(HELLO);
    subscriber.receive('{"t":"sub","id":1,"path":"events","credit":2000000000}');
  }
  // Each subscriber's generator parks in `waiting` (bounded wait: a few turns of the loop).
  const parked = async () => {
    for (let turn = 0; waiting.size < SUBSCRIBERS && turn < 1_000; turn++) await new Promise((resolve) => setImmediate(resolve));
    if (waiting.size < SUBSCRIBERS) throw new Error(`only ${waiting.size} of ${SUBSCRIBERS} subscribers are waiting`);
  };
  await parked();
  let id = 0;
  return {
    async calls(rounds) {
      for (let round = 0; round < rounds; round++) {
        let frame = '[';
        for (let i = 0; i < CALLS_PER_ROUND; i++) frame += `${i ? ',' : ''}{"t":"call","id":${++id},${CALL_BODY}`;
        const done = until(received + CALLS_PER_ROUND);
        caller.receive(`${frame}]`);
        await done;
      }
    },
    async fanOut(events) {
      for (let seq = 0; seq < events; seq++) {
        const done = until(received + SUBSCRIBERS);
        const resolvers = [...waiting];
        waiting.clear();
        for (const resolve of resolvers) resolve({ id: seq, name: 'event', at: 1 });
        await done;
        await parked();
      }
    },
  };
}
