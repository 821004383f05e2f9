import { binary } from '@duplex/client/binary';
import { DuplexError, initDuplex, tracked } from '@duplex/server';
import { createFetchHandler } from '@duplex/server/fetch';
import { collect, serveFetchHandler } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../src/index.js';
import { autoTransport, httpTransport } from '../src/http.js';

function makeRouter() {
  const d = initDuplex.create();
  return d.router({
    upload: d.procedure
      .input(z.object({ name: z.string(), file: z.instanceof(Uint8Array) }))
      .mutation(({ input }) => ({ name: input.name, size: input.file.byteLength, sum: input.file.reduce((a, b) => a + b, 0) })),
    download: d.procedure.input(z.object({ size: z.number().int().max(2_000_000) })).query(({ input }) => ({ file: new Uint8Array(input.size).fill(9) })),
    echo: d.procedure.input(z.unknown()).query(({ input }) => input),
    add: d.procedure.input(z.object({ a: z.number(), b: z.number() })).query(({ input }) => input.a + input.b),
    chunks: d.procedure.input(z.object({ count: z.number().int().max(100) })).subscription(async function* ({ input, lastEventId }) {
      for (let i = lastEventId === undefined ? 0 : Number(lastEventId) + 1; i < input.count; i++) yield tracked(String(i), { i, chunk: new Uint8Array(i).fill(i) });
    }),
    /** A streamed result of the input's bytes, three times. */
    thrice: d.procedure.input(z.instanceof(Uint8Array)).query(async function* ({ input }) {
      for (let i = 0; i < 3; i++) yield input;
    }),
    /** Events each holding the input's bytes with one more byte. */
    grow: d.procedure.input(z.instanceof(Uint8Array)).subscription(async function* ({ input }) {
      for (let i = 0; i < 3; i++) yield tracked(String(i), Uint8Array.from([...input, i]));
    }),
    parts: d.procedure.input(z.object({ count: z.number().int().max(100) })).query(async function* ({ input }) {
      for (let i = 0; i < input.count; i++) yield new Uint8Array([i, i, i]);
    }),
  });
}
type Router = ReturnType<typeof makeRouter>;

/** The Fetch handler on Node http; WebSocket upgrades are refused as by a proxy that blocks them. */
async function serve(maxMessageBytes?: number) {
  const handler = createFetchHandler({ router: makeRouter(), ...(maxMessageBytes ? { maxMessageBytes } : {}) });
  const served = await serveFetchHandler(handler, { refuseUpgrades: true });
  const requests: Array<{ method: string; type: string | null; accept: string | null }> = [];
  const counting: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    requests.push({ method: init?.method ?? 'GET', type: headers.get('content-type'), accept: headers.get('accept') });
    return fetch(input, init);
  };
  return { url: served.url, requests, fetch: counting, [Symbol.asyncDispose]: served.close };
}

describe('Uint8Array values over HTTP (protocol.md §12.1)', () => {
  it('carries bytes in inputs and results, single and batched, as binary frames', async () => {
    await using server = await serve();
    const client = createClient<Router>({ url: server.url, transport: httpTransport({ fetch: server.fetch }), binary });
    try {
      const file = new Uint8Array(1000).map((_, i) => i % 251);
      const expectedSum = file.reduce((a, b) => a + b, 0);
      // A mutation with bytes: one POST of frame records.
      expect(await client.upload.mutate({ name: 'a.bin', file })).toEqual({ name: 'a.bin', size: 1000, sum: expectedSum });
      expect(server.requests.at(-1)).toMatchObject({ method: 'POST', type: 'application/x-duplex-frames' });
      // A query without bytes whose result holds some: still a GET, answered with a frame.
      const down = await client.download.query({ size: 5000 });
      expect(server.requests.at(-1)?.method).toBe('GET');
      expect(down.file).toBeInstanceOf(Uint8Array);
      expect([...down.file]).toEqual(new Array(5000).fill(9));
      // One tick: calls with and without bytes share one batch request; bytes in and out keep their identity.
      const before = server.requests.length;
      const shared = new Uint8Array([1, 2, 3]);
      const [sum, echoed, again, big] = await Promise.all([
        client.add.query({ a: 1, b: 2 }),
        client.echo.query({ one: shared, same: shared, other: new Uint8Array([4]) }),
        client.upload.mutate({ name: 'b', file: new Uint8Array([5, 5]) }),
        client.download.query({ size: 3 }),
      ]);
      expect(server.requests.length).toBe(before + 1);
      expect(sum).toBe(3);
      expect(echoed).toEqual({ one: new Uint8Array([1, 2, 3]), same: new Uint8Array([1, 2, 3]), other: new Uint8Array([4]) });
      expect((echoed as { one: Uint8Array; same: Uint8Array }).one).toBe((echoed as { one: Uint8Array; same: Uint8Array }).same);
      expect(again).toEqual({ name: 'b', size: 2, sum: 10 });
      expect([...big.file]).toEqual([9, 9, 9]);
      // Errors of a frames batch keep their shapes.
      const error = (await client.upload.mutate({ name: 'x', file: 'not bytes' as unknown as Uint8Array<ArrayBuffer> }).catch((e: unknown) => e)) as DuplexError;
      expect(error.code).toBe('BAD_REQUEST');
    } finally {
      await client.close();
    }
  });

  it('carries bytes in subscription events and in streamed results over SSE', async () => {
    await using server = await serve();
    const client = createClient<Router>({ url: server.url, transport: httpTransport({ fetch: server.fetch }), binary });
    try {
      const events: Array<{ i: number; chunk: Uint8Array }> = [];
      await new Promise<void>((resolve, reject) => {
        client.chunks.subscribe(
          { count: 5 },
          {
            onData: (event) => events.push(event),
            onError: reject,
            onComplete: resolve,
          },
        );
      });
      expect(events.map((event) => [...event.chunk])).toEqual([[], [1], [2, 2], [3, 3, 3], [4, 4, 4, 4]]);
      expect(events.every((event) => event.chunk instanceof Uint8Array)).toBe(true);
      expect(server.requests.some((request) => request.accept?.includes('application/x-duplex-frames') && request.accept.includes('text/event-stream'))).toBe(true);
      const parts = await collect(await client.parts.query({ count: 4 }));
      expect(parts.map((part) => [...part])).toEqual([
        [0, 0, 0],
        [1, 1, 1],
        [2, 2, 2],
        [3, 3, 3],
      ]);
      // Bytes in a subscription's input: a POST of its frame, answered as the same event stream.
      const grown: number[][] = [];
      await new Promise<void>((resolve, reject) => {
        client.grow.subscribe(new Uint8Array([7]), { onData: (event) => grown.push([...event]), onError: reject, onComplete: resolve });
      });
      expect(grown).toEqual([
        [7, 0],
        [7, 1],
        [7, 2],
      ]);
      expect(server.requests.at(-1)).toMatchObject({ method: 'POST', type: 'application/x-duplex-frames' });
      // Bytes in a streamed result's input (a POST of frames) and in its items.
      const thrice = await collect(await client.thrice.query(new Uint8Array([8, 9])));
      expect(thrice.map((part) => [...part])).toEqual([
        [8, 9],
        [8, 9],
        [8, 9],
      ]);
    } finally {
      await client.close();
    }
  });

  it('keeps the typed bytes API when autoTransport falls back from a refused WebSocket', async () => {
    await using server = await serve();
    const client = createClient<Router>({ url: server.url, transport: autoTransport({ fetch: server.fetch }), binary });
    try {
      expect(await client.upload.mutate({ name: 'f', file: new Uint8Array([7, 7, 7]) })).toEqual({ name: 'f', size: 3, sum: 21 });
      expect([...(await client.download.query({ size: 2 })).file]).toEqual([9, 9]);
      expect(await client.echo.query(new Uint8Array(0))).toEqual(new Uint8Array(0));
    } finally {
      await client.close();
    }
  });

  it('counts the bytes in the message size limit: an oversize body is refused with PAYLOAD_TOO_LARGE', async () => {
    await using server = await serve(10_000);
    const client = createClient<Router>({ url: server.url, transport: httpTransport({ fetch: server.fetch }), binary });
    try {
      const error = (await client.upload.mutate({ name: 'big', file: new Uint8Array(20_000) }).catch((e: unknown) => e)) as DuplexError;
      expect(error).toBeInstanceOf(DuplexError);
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await client.upload.mutate({ name: 'ok', file: new Uint8Array(5_000) })).toMatchObject({ size: 5_000 });
    } finally {
      await client.close();
    }
  });

  it('without `binary`, bytes fail with NOT_IMPLEMENTED as on the socket, and other calls go on', async () => {
    await using server = await serve();
    const client = createClient<Router>({ url: server.url, transport: httpTransport({ fetch: server.fetch }) });
    try {
      const sent = (await client.upload.mutate({ name: 'a', file: new Uint8Array(1) }).catch((e: unknown) => e)) as DuplexError;
      expect(sent.code).toBe('NOT_IMPLEMENTED');
      const received = (await client.download.query({ size: 1 }).catch((e: unknown) => e)) as DuplexError;
      expect(received.code).toBe('NOT_IMPLEMENTED');
      expect(await client.add.query({ a: 2, b: 3 })).toBe(5);
    } finally {
      await client.close();
    }
  });
});
