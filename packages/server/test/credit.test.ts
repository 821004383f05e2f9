import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { router } from './fixtures.js';
import { openRaw, type RawSocket } from './raw-socket.js';

const anon = { createContext: () => ({ user: null }) };

/** A round trip: every message the server sent before the answer is read first. */
async function call(raw: RawSocket, id: number, seen: Array<{ t: string; id?: number | null }>): Promise<void> {
  raw.send({ t: 'call', id, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
  for (;;) {
    const message = await raw.next();
    if (message.t === 'result' && message.id === id) return;
    seen.push(message);
  }
}

function protocolError(id: number | null, reason: string) {
  return { t: 'error', id, error: { code: 'BAD_REQUEST', message: `protocol error: ${reason}` } };
}

describe('credit messages (protocol.md §7.1)', () => {
  it('the server sends no more events than the credit it holds', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'sub', id: 1, path: 'firehose', input: { size: 1 }, credit: 2 });
    const seen: Array<{ t: string; id?: number | null; data?: unknown }> = [];
    while (seen.length < 2) seen.push(await raw.next());
    // Twenty round trips: a loop that ignored its credit would have sent far more (one event per turn).
    for (let i = 0; i < 20; i++) await call(raw, 100 + i, seen);
    expect(seen.map((m) => (m.data as { i: number }).i)).toEqual([0, 1]);
    raw.send({ t: 'credit', id: 1, n: 3 });
    while (seen.length < 5) seen.push(await raw.next());
    for (let i = 0; i < 20; i++) await call(raw, 200 + i, seen);
    expect(seen.map((m) => [m.t, m.id, (m.data as { i: number }).i])).toEqual([0, 1, 2, 3, 4].map((i) => ['data', 1, i]));
    raw.close();
  });

  it('a sub with credit 0 starts paused', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'sub', id: 1, path: 'firehose', input: { size: 1 }, credit: 0 });
    const seen: Array<{ t: string }> = [];
    for (let i = 0; i < 10; i++) await call(raw, 100 + i, seen);
    expect(seen).toEqual([]);
    raw.send({ t: 'credit', id: 1, n: 1 });
    expect(await raw.next()).toMatchObject({ t: 'data', id: 1, data: { i: 0 } });
    raw.close();
  });

  it.each([
    ['a negative credit', { t: 'credit', id: 50, n: -5 }, 50, 'credit.n must be an integer from 1 to 2^31 - 1'],
    ['a zero credit', { t: 'credit', id: 50, n: 0 }, 50, 'credit.n must be an integer from 1 to 2^31 - 1'],
    ['a huge credit', { t: 'credit', id: 50, n: 1e300 }, 50, 'credit.n must be an integer from 1 to 2^31 - 1'],
    ['a string credit', { t: 'credit', id: 50, n: '5' }, 50, 'credit.n must be an integer from 1 to 2^31 - 1'],
    ['a credit without id', { t: 'credit', n: 5 }, null, 'credit.id must be a non-negative integer'],
    ['a credit for an id never used', { t: 'credit', id: 999, n: 5 }, 999, 'no subscription with id 999'],
    ['a negative window', { t: 'sub', id: 51, path: 'idle', credit: -1 }, 51, 'sub.credit must be an integer from 0 to 2^31 - 1'],
    ['a window past 2^31 - 1', { t: 'sub', id: 51, path: 'idle', credit: 2 ** 31 }, 51, 'sub.credit must be an integer from 0 to 2^31 - 1'],
  ])('answers %s with a protocol error and stays usable', async (_name, message, id, reason) => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send(message);
    expect(await raw.next()).toEqual(protocolError(id, reason));
    const seen: Array<{ t: string }> = [];
    await call(raw, 1, seen);
    expect(seen).toEqual([]);
    raw.close();
  });

  it('ends a live subscription whose credit message is malformed or overflows, and leaves others running', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send([
      { t: 'sub', id: 1, path: 'idle', credit: 2 ** 31 - 1 },
      { t: 'sub', id: 2, path: 'idle', credit: 5 },
      { t: 'sub', id: 3, path: 'idle', credit: 5 },
      { t: 'credit', id: 1, n: 1 },
      { t: 'credit', id: 2, n: -1 },
    ]);
    expect(await raw.next()).toEqual(protocolError(1, 'credit would pass 2^31 - 1'));
    expect(await raw.next()).toEqual(protocolError(2, 'credit.n must be an integer from 1 to 2^31 - 1'));
    const seen: Array<{ t: string }> = [];
    await call(raw, 10, seen);
    expect(seen).toEqual([]);
    expect(srv.server.stats()).toMatchObject({ subscriptions: 1 });
    raw.close();
  });

  it('answers a credit for a call with an id-less error and lets the call run', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 7, kind: 'query', path: 'hang' });
    raw.send({ t: 'credit', id: 7, n: 1 });
    expect(await raw.next()).toEqual(protocolError(null, 'id 7 is a call, not a subscription (credit for call 7)'));
    expect(srv.server.stats()).toMatchObject({ calls: 1 });
    raw.send({ t: 'cancel', id: 7 });
    raw.close();
  });

  it('ignores a credit that crosses the end of its subscription, and one for a subscription without a window', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'sub', id: 1, path: 'idle', credit: 1 });
    raw.send({ t: 'sub', id: 2, path: 'idle' });
    raw.send({ t: 'cancel', id: 1 });
    raw.send({ t: 'credit', id: 1, n: 4 });
    raw.send({ t: 'credit', id: 2, n: 4 });
    const seen: Array<{ t: string }> = [];
    await call(raw, 3, seen);
    expect(seen).toEqual([]);
    raw.close();
  });

  it('answers a credit before hello like any message before hello', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    raw.send({ t: 'credit', id: 1, n: 1 });
    expect(await raw.next()).toEqual(protocolError(1, 'send hello first'));
    raw.close();
  });
});
