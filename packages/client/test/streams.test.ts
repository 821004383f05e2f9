import { binary } from '@duplex/client/binary';
import { DEFAULT_STREAM_WINDOW, DuplexError, initDuplex, streamOf } from '@duplex/server';
import { deferred, startProxy, startServer } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();

/** What the handlers and sources did, for the tests to count. */
const probe = { pulled: 0, read: 0, finallyRan: 0, handlerError: undefined as unknown, started: deferred(), active: 0, maxActive: 0 };
function reset(): void {
  probe.active = 0;
  probe.maxActive = 0;
  probe.pulled = 0;
  probe.read = 0;
  probe.finallyRan = 0;
  probe.handlerError = undefined;
  probe.started = deferred();
}
let stall = deferred();

const router = d.router({
  /** Client stream of bytes → total length. */
  upload: d.procedure.input(streamOf(z.instanceof(Uint8Array))).mutation(async ({ input }) => {
    let bytes = 0;
    for await (const chunk of input) bytes += chunk.byteLength;
    return bytes;
  }),
  /** Client stream of typed items → their sum; each item validated. */
  sum: d.procedure.input(streamOf(z.object({ n: z.number().int() }))).mutation(async ({ input }) => {
    let total = 0;
    try {
      for await (const item of input) total += item.n;
    } catch (error) {
      probe.handlerError = error;
      throw error;
    }
    return total;
  }),
  /** Reads one item, then stalls until the test lets it go. */
  slowReader: d.procedure.input(streamOf(z.number())).mutation(async ({ input, signal }) => {
    let count = 0;
    try {
      for await (const _ of input) {
        count++;
        probe.read++;
        if (count === 1) {
          probe.started.resolve();
          await stall.promise;
        }
      }
    } catch (error) {
      probe.handlerError = error;
      throw error;
    }
    return { count, aborted: signal.aborted };
  }),
  /** Streamed result: tokens of a text. */
  tokens: d.procedure.input(z.object({ text: z.string() })).query(async function* ({ input }) {
    try {
      for (const word of input.text.split(' ')) {
        probe.pulled++;
        yield word;
      }
    } finally {
      probe.finallyRan++;
    }
  }),
  /** An endless streamed result that never awaits: only credit stops it. */
  endless: d.procedure.query(async function* () {
    try {
      for (let i = 0; ; i++) {
        probe.pulled++;
        yield i;
      }
    } finally {
      probe.finallyRan++;
    }
  }),
  /** A ReadableStream result, items checked by the output schema. */
  readable: d.procedure.output(streamOf(z.number().max(2))).query(({ signal }) => {
    let i = 0;
    return new ReadableStream<number>({
      pull(controller) {
        if (signal.aborted) return;
        if (i === 4) controller.close();
        else controller.enqueue(i++);
      },
    });
  }),
  /** Fails after two items. */
  failing: d.procedure.query(async function* () {
    yield 1;
    yield 2;
    throw new DuplexError({ code: 'CONFLICT', message: 'gone' });
  }),
  /** Two-way: echoes every item back, upper-cased. */
  echo: d.procedure.input(streamOf(z.string())).mutation(async function* ({ input }) {
    for await (const text of input) yield text.toUpperCase();
  }),
  plain: d.procedure.input(z.number()).query(({ input }) => input + 1),
  /** Sums a client stream, counting how many of these handlers run at once. */
  concurrent: d.procedure.input(streamOf(z.number())).mutation(async ({ input }) => {
    probe.active++;
    probe.maxActive = Math.max(probe.maxActive, probe.active);
    try {
      let total = 0;
      for await (const n of input) total += n;
      return total;
    } finally {
      probe.active--;
    }
  }),
});
type Router = typeof router;

const waitFor = <TValue>(fn: () => TValue) => vi.waitFor(fn, { timeout: 5_000, interval: 5 });

/** A client-side source that counts how far duplex pulled it and whether it was closed. */
function countingSource<TItem>(make: (i: number) => TItem, count: number) {
  const state = { pulled: 0, closed: false };
  async function* source(): AsyncGenerator<TItem> {
    try {
      for (let i = 0; i < count; i++) {
        state.pulled++;
        yield make(i);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

describe('client streams', () => {
  it('uploads Uint8Array chunks in binary frames, with progress, and gets the result', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>({ binary });
    let sent = 0;
    async function* chunks() {
      for (let i = 0; i < 200; i++) {
        const chunk = new Uint8Array(16_384).fill(i % 256);
        sent += chunk.byteLength;
        yield chunk;
      }
    }
    expect(await client.upload.mutate(chunks())).toBe(200 * 16_384);
    expect(sent).toBe(200 * 16_384);
  });

  it('accepts a ReadableStream as the input', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    let n = 0;
    const input = new ReadableStream<{ n: number }>({
      pull(controller) {
        if (n === 100) controller.close();
        else controller.enqueue({ n: n++ });
      },
    });
    expect(await client.sum.mutate(input)).toBe(4950);
  });

  it('validates each item: a bad one fails the call with BAD_REQUEST and its issues, and the source is closed', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const { state, source } = countingSource((i) => ({ n: i === 5 ? 1.5 : i }), 1_000);
    const error = await client.sum.mutate(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe('BAD_REQUEST');
    expect((error as DuplexError).issues?.[0]?.path).toEqual(['n']);
    await waitFor(() => expect(state.closed).toBe(true));
    expect(state.pulled).toBeLessThan(5 + 2 * DEFAULT_STREAM_WINDOW);
    expect((await client.plain.query(1))).toBe(2);
  });

  it('a handler that stops reading holds the source back within one window', async () => {
    reset();
    stall = deferred();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const { state, source } = countingSource((i) => i, 10_000);
    const result = client.slowReader.mutate(source);
    await probe.started.promise;
    for (let i = 0; i < 20; i++) await client.plain.query(i);
    // One item read; the server granted one window and nothing more.
    expect(state.pulled).toBeLessThanOrEqual(DEFAULT_STREAM_WINDOW + 1);
    stall.resolve();
    expect(await result).toEqual({ count: 10_000, aborted: false });
    expect(state.closed).toBe(true);
  });

  it('a source that throws ends both halves: the call rejects and the handler sees CANCELLED', async () => {
    reset();
    stall = deferred();
    stall.resolve();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    async function* broken() {
      yield 1;
      yield 2;
      throw new Error('disk read failed');
    }
    const error = await client.slowReader.mutate(broken()).catch((e: unknown) => e);
    expect((error as DuplexError).code).toBe('CANCELLED');
    expect(((error as DuplexError).cause as Error).message).toBe('disk read failed');
    await waitFor(() => expect((probe.handlerError as DuplexError | undefined)?.code).toBe('CANCELLED'));
  });

  it('aborting the call ends the handler and closes the source', async () => {
    reset();
    stall = deferred();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const { state, source } = countingSource((i) => i, 10_000);
    const controller = new AbortController();
    const result = client.slowReader.mutate(source, { signal: controller.signal }).catch((e: unknown) => e);
    await probe.started.promise;
    controller.abort();
    expect(((await result) as DuplexError).code).toBe('CANCELLED');
    await waitFor(() => expect(state.closed).toBe(true));
    stall.resolve();
    await waitFor(() => expect((probe.handlerError as DuplexError | undefined)?.code).toBe('CANCELLED'));
  });

  it('refuses a stream to a procedure that takes none, and a plain input to one that takes a stream', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    async function* one() {
      yield 1;
    }
    const typed = client as unknown as { plain: { query(input: unknown): Promise<unknown> }; sum: { mutate(input: unknown): Promise<unknown> } };
    await expect(typed.plain.query(one())).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('does not take a client stream') });
    await expect(typed.sum.mutate({ n: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('takes a client stream') });
  });
});

describe('streamed results', () => {
  it('a query returning an async generator streams its items in order', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const words: string[] = [];
    for await (const word of await client.tokens.query({ text: 'the quick brown fox' })) words.push(word);
    expect(words).toEqual(['the', 'quick', 'brown', 'fox']);
    await waitFor(() => expect(probe.finallyRan).toBe(1));
  });

  it('a stalled reader stops the producer within one window; break runs its finally', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const stream = await client.endless.query();
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) expect((await iterator.next()).value).toBe(i);
    for (let i = 0; i < 20; i++) await client.plain.query(i);
    expect(probe.pulled).toBeLessThanOrEqual(3 + DEFAULT_STREAM_WINDOW);
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) seen.push((await iterator.next()).value as number);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
    await iterator.return?.();
    await waitFor(() => expect(probe.finallyRan).toBe(1));
    expect(await client.plain.query(1)).toBe(2);
  });

  it('a larger window lets the producer run further ahead', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const iterator = (await client.endless.query(undefined, { window: 64 }))[Symbol.asyncIterator]();
    await iterator.next();
    await waitFor(() => expect(probe.pulled).toBe(64));
    for (let i = 0; i < 10; i++) await client.plain.query(i);
    expect(probe.pulled).toBe(64);
    await iterator.return?.();
  });

  it('a ReadableStream result is read to the end; an item that fails the output schema ends it with INTERNAL_SERVER_ERROR', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const seen: number[] = [];
    const error = await (async () => {
      for await (const n of await client.readable.query()) seen.push(n);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0, 1, 2]);
    expect((error as DuplexError).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('an error in the producer reaches the loop as a typed error after the items before it', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const seen: number[] = [];
    const error = await (async () => {
      for await (const n of await client.failing.query()) seen.push(n);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1, 2]);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'gone' });
  });

  it('aborting the signal ends the stream and the producer', async () => {
    reset();
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const controller = new AbortController();
    const stream = await client.endless.query(undefined, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'CANCELLED' });
    await waitFor(() => expect(probe.finallyRan).toBe(1));
  });

  it('a lost connection fails an open stream with a retryable SERVICE_UNAVAILABLE', async () => {
    reset();
    await using srv = await startServer(router);
    await using proxy = await startProxy(srv.port);
    const client = srv.client<Router>({ url: proxy.url, reconnect: { minDelayMs: 20, maxDelayMs: 100 } });
    const iterator = (await client.endless.query())[Symbol.asyncIterator]();
    await iterator.next();
    proxy.cut();
    await expect(
      (async () => {
        for (;;) await iterator.next();
      })(),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });
});

describe('client streams past the server\'s maxClientStreams', () => {
  it('waits in the client (stated in ready.limits) instead of being refused, without holding back other calls', async () => {
    reset();
    await using srv = await startServer(router, { maxClientStreams: 2 });
    const client = srv.client<Router>();
    const gate = deferred();
    async function* source(i: number) {
      await gate.promise;
      yield i;
      yield 10;
    }
    const calls = [0, 1, 2, 3, 4].map((i) => client.concurrent.mutate(source(i)));
    await waitFor(() => expect(probe.active).toBe(2));
    // Three streams wait in the client; a plain call made after them goes out at once.
    expect(await client.plain.query(1)).toBe(2);
    expect(probe.active).toBe(2);
    gate.resolve();
    expect(await Promise.all(calls)).toEqual([10, 11, 12, 13, 14]);
    expect(probe.maxActive).toBe(2);
  });
});

describe('two-way streams', () => {
  it('echoes 10,000 messages in order while both halves are open', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const count = 10_000;
    async function* words() {
      for (let i = 0; i < count; i++) yield `m${i}`;
    }
    let i = 0;
    for await (const text of await client.echo.mutate(words())) {
      expect(text).toBe(`M${i}`);
      i++;
    }
    expect(i).toBe(count);
  });

  it('breaking out of the output loop closes the input source too', async () => {
    await using srv = await startServer(router);
    const client = srv.client<Router>();
    const { state, source } = countingSource((i) => `w${i}`, 1_000_000);
    let seen = 0;
    for await (const _ of await client.echo.mutate(source)) if (++seen === 10) break;
    await waitFor(() => expect(state.closed).toBe(true));
    expect(state.pulled).toBeLessThan(10 + 4 * DEFAULT_STREAM_WINDOW);
  });
});
