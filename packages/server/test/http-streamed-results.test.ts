import { createFetchHandler } from '@duplex/server/fetch';
import { initDuplex } from '@duplex/server';
import { describe, expect, it, vi } from 'vitest';
import { sseEvents } from './runtimes/sse-events.js';

const d = initDuplex.create();
const producer = { produced: 0, running: 0 };
const router = d.router({
  /** Yields 1, 2, 3, … without end, as fast as it is pulled. */
  endless: d.procedure.query(async function* () {
    producer.running++;
    try {
      for (let n = 1; ; n++) {
        producer.produced++;
        yield n;
      }
    } finally {
      producer.running--;
    }
  }),
});

/** Lets every pending microtask and I/O callback run a few times over, so an unpaced producer would run far ahead. */
async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('streamed results over the Fetch handler (protocol.md §12)', () => {
  it('pulls the producer only as fast as the response body is read', async () => {
    const handler = createFetchHandler({ router, keepAlive: false });
    producer.produced = 0;
    const response = await handler.fetch(new Request('http://127.0.0.1/endless?codec=json'));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const stream = sseEvents(response.body as ReadableStream<Uint8Array>);
    expect(await stream.next()).toEqual({ t: 'result', stream: true });
    expect(await stream.next()).toEqual({ t: 'data', data: 1 });
    await settle();
    // At most the first credit window (16) plus what the body queues (16 events) ahead of the reader.
    const held = producer.produced;
    expect(held).toBeLessThanOrEqual(16 + 16 + 2);
    await settle();
    expect(producer.produced).toBe(held);
    // Reading on lets it go on: credit comes back as the body takes items.
    for (let n = 2; n <= 100; n++) expect(await stream.next()).toEqual({ t: 'data', data: n });
    expect(producer.produced).toBeGreaterThanOrEqual(100);
    await stream.cancel();
    await vi.waitFor(() => expect(producer.running).toBe(0));
    expect(handler.stats()).toEqual({ requests: 0, streams: 0 });
  });

  it('close() cuts an open streamed result (no done: the client sees its link lost) and ends the producer', async () => {
    const handler = createFetchHandler({ router, keepAlive: false });
    const response = await handler.fetch(new Request('http://127.0.0.1/endless?codec=json'));
    const stream = sseEvents(response.body as ReadableStream<Uint8Array>);
    expect(await stream.next()).toEqual({ t: 'result', stream: true });
    expect(handler.stats().requests).toBe(1);
    await handler.close({ drainMs: 0 });
    let last: { t: string } | undefined;
    for (let event = await stream.next(); event; event = await stream.next()) last = event;
    expect(last?.t).toBe('data');
    await vi.waitFor(() => expect(producer.running).toBe(0));
    expect(handler.stats()).toEqual({ requests: 0, streams: 0 });
  });
});
