import { EventEmitter, on } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { initDuplex } from '@duplex/server';
import { deferred, startServer } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects until `ref` clears, a few rounds at most (a major GC may need a turn to finish finalization). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let round = 0; round < 10 && ref.deref() !== undefined; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

const d = initDuplex.create();
const emitter = new EventEmitter();
const router = d.router({
  // tRPC #6156: the handler returns `on(emitter, …)` directly.
  onArrays: d.procedure.subscription(({ signal }) => on(emitter, 'data', { signal })),
  latestArrays: d.procedure.subscription(({ signal }) => on(emitter, 'data', { signal }), { slowReader: 'latest' }),
});
type Router = typeof router;

/** Resolves once the handler's `on()` listens. */
async function listening(): Promise<void> {
  await vi.waitFor(() => expect(emitter.listenerCount('data')).toBe(1), { interval: 1 });
}

/** Emits two fresh arrays (made here, so no test frame holds them) and returns WeakRefs to them. */
function emitTwo(): WeakRef<object>[] {
  const first = Array.from({ length: 1000 }, (_, i) => i);
  const second = Array.from({ length: 1000 }, (_, i) => -i);
  emitter.emit('data', first);
  emitter.emit('data', second);
  return [new WeakRef(first), new WeakRef(second)];
}

describe('issue 14: nothing keeps an event reachable after it is written', () => {
  it('the server and the client release the last delivered event (WeakRef clears after GC)', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const received: WeakRef<object>[] = [];
    const twoArrived = deferred();
    const sub = client.onArrays.subscribe(undefined, {
      onData: (args) => {
        received.push(new WeakRef(args as object));
        if (received.length === 2) twoArrived.resolve();
      },
    });
    await listening();
    const serverRefs = emitTwo();
    await twoArrived.promise;
    // The subscription is still live: the loop waits for a third event.
    expect(await collected(serverRefs[0] as WeakRef<object>)).toBe(true);
    expect(await collected(serverRefs[1] as WeakRef<object>)).toBe(true);
    expect(await collected(received[0] as WeakRef<object>)).toBe(true);
    expect(await collected(received[1] as WeakRef<object>)).toBe(true);
    sub.unsubscribe();
    await vi.waitFor(() => expect(emitter.listenerCount('data')).toBe(0));
  });

  it('holds nothing while the loop is parked out of credit (a reader whose async onData has not settled)', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const gate = deferred();
    let count = 0;
    const twoArrived = deferred();
    const sub = client.onArrays.subscribe(undefined, {
      window: 2,
      onData: () => {
        if (++count === 2) twoArrived.resolve();
        return gate.promise;
      },
    });
    await listening();
    const serverRefs = emitTwo();
    await twoArrived.promise;
    expect(await collected(serverRefs[1] as WeakRef<object>)).toBe(true);
    gate.resolve();
    sub.unsubscribe();
    await vi.waitFor(() => expect(emitter.listenerCount('data')).toBe(0));
  });

  it("holds nothing once delivered under slowReader 'latest'", async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const twoArrived = deferred();
    let count = 0;
    const sub = client.latestArrays.subscribe(undefined, { onData: () => ++count === 2 && twoArrived.resolve() });
    await listening();
    const serverRefs = emitTwo();
    await twoArrived.promise;
    expect(await collected(serverRefs[1] as WeakRef<object>)).toBe(true);
    sub.unsubscribe();
    await vi.waitFor(() => expect(emitter.listenerCount('data')).toBe(0));
  });
});
