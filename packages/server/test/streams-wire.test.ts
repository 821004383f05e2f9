import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { initDuplex, streamOf } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openRaw, type Received, type RawSocket } from './raw-socket.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const d = initDuplex.create();
/** What the handler received, for the retention test. */
const seen: { refs: WeakRef<object>[] } = { refs: [] };
const router = d.router({
  count: d.procedure.input(streamOf(z.object({ n: z.number() }))).mutation(async ({ input }) => {
    let total = 0;
    for await (const item of input) {
      seen.refs.push(new WeakRef(item));
      total += item.n;
    }
    return total;
  }),
  /** Never reads its input: credit stays at the first window. */
  deaf: d.procedure.input(streamOf(z.number())).mutation(({ signal }) => new Promise((resolve) => signal.addEventListener('abort', resolve))),
  words: d.procedure.query(async function* () {
    yield 'a';
    yield 'b';
  }),
  plain: d.procedure.query(() => 1),
});

/** Reads messages until one matches, collecting the rest. */
async function until(raw: RawSocket, match: (message: Received) => boolean, rest: Received[] = []): Promise<Received> {
  for (;;) {
    const message = await raw.next();
    if (match(message)) return message;
    rest.push(message);
  }
}

describe('stream messages on the wire (protocol.md §7.2)', () => {
  it('a client stream: the server grants a window, reads data items, answers after done', async () => {
    await using srv = await startServer(router, { streamWindow: 4 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'mutation', path: 'count', stream: true });
    expect(await raw.next()).toEqual({ t: 'credit', id: 1, n: 4 });
    for (let n = 1; n <= 4; n++) raw.send({ t: 'data', id: 1, data: { n } });
    // Half a window read: two more credits, then two more.
    const credits: Received[] = [];
    await until(raw, (m) => m.t === 'credit', credits);
    raw.send({ t: 'done', id: 1 });
    const rest: Received[] = [];
    const result = await until(raw, (m) => m.t === 'result', rest);
    expect(result).toEqual({ t: 'result', id: 1, data: 10 });
    raw.close();
  });

  it('an item past the granted credit ends the call with a protocol error', async () => {
    await using srv = await startServer(router, { streamWindow: 2 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'mutation', path: 'deaf', stream: true });
    expect(await raw.next()).toEqual({ t: 'credit', id: 1, n: 2 });
    for (let n = 0; n < 3; n++) raw.send({ t: 'data', id: 1, data: n });
    expect(await raw.next()).toMatchObject({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'protocol error: data sent past the granted credit' } });
    // The connection goes on.
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'plain' });
    expect(await until(raw, (m) => m.id === 2)).toMatchObject({ t: 'result', id: 2 });
    raw.close();
  });

  it('a client stream past maxClientStreams (stated in ready.limits) is refused with a retryable TOO_MANY_REQUESTS; the others go on', async () => {
    await using srv = await startServer(router, { maxClientStreams: 2 });
    const raw = await openRaw(srv.url);
    expect(await raw.hello()).toMatchObject({ t: 'ready', limits: { maxClientStreams: 2 } });
    for (const id of [1, 2]) {
      raw.send({ t: 'call', id, kind: 'mutation', path: 'deaf', stream: true });
      expect(await raw.next()).toEqual({ t: 'credit', id, n: 16 });
    }
    raw.send({ t: 'call', id: 3, kind: 'mutation', path: 'deaf', stream: true });
    expect(await raw.next()).toMatchObject({ t: 'error', id: 3, error: { code: 'TOO_MANY_REQUESTS', retryable: true } });
    // Ending one makes room.
    raw.send({ t: 'cancel', id: 1 });
    raw.send({ t: 'call', id: 4, kind: 'mutation', path: 'deaf', stream: true });
    expect(await raw.next()).toEqual({ t: 'credit', id: 4, n: 16 });
    raw.close();
  });

  it.each([
    ['data for an id never used', { t: 'data', id: 99, data: 1 }, 99, 'no client stream with id 99'],
    ['done for an id never used', { t: 'done', id: 98 }, 98, 'no client stream with id 98'],
    ['data without id', { t: 'data', data: 1 }, null, 'data.id must be a non-negative integer'],
    ['a stream call with an input', { t: 'call', id: 97, kind: 'mutation', path: 'count', stream: true, input: 1 }, 97, 'a call with stream: true carries no input'],
    ['stream: false', { t: 'call', id: 96, kind: 'mutation', path: 'count', stream: false }, 96, 'call.stream must be true when present'],
    ['a zero call credit', { t: 'call', id: 95, kind: 'query', path: 'words', credit: 0 }, 95, 'call.credit must be an integer from 1 to 2^31 - 1'],
  ])('%s is answered with a protocol error', async (_name, message, id, reason) => {
    await using srv = await startServer(router);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send(message);
    expect(await raw.next()).toEqual({ t: 'error', id, error: { code: 'BAD_REQUEST', message: `protocol error: ${reason}` } });
    raw.close();
  });

  it('items that cross the call’s answer on the wire are dropped quietly', async () => {
    await using srv = await startServer(router);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'mutation', path: 'count', stream: true });
    await until(raw, (m) => m.t === 'credit');
    raw.send({ t: 'done', id: 1 });
    await until(raw, (m) => m.t === 'result');
    raw.send({ t: 'data', id: 1, data: { n: 1 } });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'plain' });
    expect(await raw.next()).toMatchObject({ t: 'result', id: 2 });
    raw.close();
  });

  it('a streamed result: result with stream: true, data under the implicit window, then done', async () => {
    await using srv = await startServer(router);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'words' });
    expect(await raw.next()).toEqual({ t: 'result', id: 1, stream: true });
    expect(await raw.next()).toEqual({ t: 'data', id: 1, data: 'a' });
    expect(await raw.next()).toEqual({ t: 'data', id: 1, data: 'b' });
    expect(await raw.next()).toEqual({ t: 'done', id: 1 });
    raw.close();
  });

  it('keeps no item reachable after the handler read it', async () => {
    seen.refs = [];
    await using srv = await startServer(router);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'mutation', path: 'count', stream: true });
    await until(raw, (m) => m.t === 'credit');
    for (let n = 0; n < 8; n++) raw.send({ t: 'data', id: 1, data: { n } });
    await until(raw, (m) => m.t === 'credit');
    expect(seen.refs.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 5 && seen.refs.some((ref) => ref.deref()); i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    // The handler's loop still runs (the stream is open): only the current item may stay alive.
    expect(seen.refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);
    raw.send({ t: 'done', id: 1 });
    await until(raw, (m) => m.t === 'result');
    raw.close();
  });
});
