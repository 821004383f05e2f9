import { CloseCode, encodeBinaryFrame, MAX_BIGINT_DIGITS } from '@duplex/core';
import { startServer } from '@duplex/test-utils';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { probe, router, type TestRouter } from './fixtures.js';
import { openRaw, type RawSocket } from './raw-socket.js';

const anon = { createContext: () => ({ user: null }) };
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype has exactly its standard keys and no `isAdmin` leaked anywhere. */
function expectCleanPrototype(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
}

/** The one answer for id `id` (or the id-less error when `id` is null). */
function answerFor(raw: RawSocket, id: number | null) {
  return raw.until((m) => (m.t === 'error' || m.t === 'result') && m.id === id);
}

beforeEach(() => {
  probe.inspected.length = 0;
});
afterAll(expectCleanPrototype);

describe('malformed frames are answered, never fatal', () => {
  it.each([
    ['invalid JSON', '{"t":"call",', null, 'protocol error: frame is not valid JSON'],
    ['a number', '42', null, 'protocol error: message must be a JSON object'],
    ['null', 'null', null, 'protocol error: message must be a JSON object'],
    ['a string', '"hello"', null, 'protocol error: message must be a JSON object'],
    ['an object without t', '{"id":3}', 3, 'protocol error: message.t must be a string'],
    ['an unknown kind', '{"t":"exec","id":4}', 4, 'protocol error: unknown message kind "exec"'],
    ['t of the wrong type', '{"t":["call"],"id":5}', 5, 'protocol error: message.t must be a string'],
    ['a null id', '{"t":"call","id":null,"kind":"query","path":"add"}', null, 'protocol error: call.id must be a non-negative integer'],
    ['a negative id', '{"t":"call","id":-1,"kind":"query","path":"add"}', null, 'protocol error: call.id must be a non-negative integer'],
    ['a fractional id', '{"t":"call","id":1.5,"kind":"query","path":"add"}', null, 'protocol error: call.id must be a non-negative integer'],
    ['a string id', '{"t":"call","id":"1","kind":"query","path":"add"}', null, 'protocol error: call.id must be a non-negative integer'],
    ['an id past 2^53', '{"t":"call","id":9007199254740993,"kind":"query","path":"add"}', null, 'protocol error: call.id must be a non-negative integer'],
    ['an id of 1e400 (Infinity)', '{"t":"call","id":1e400,"kind":"query","path":"add"}', null, 'protocol error: call.id must be a non-negative integer'],
    ['a bad kind', '{"t":"call","id":6,"kind":"subscription","path":"add"}', 6, 'protocol error: call.kind must be "query" or "mutation"'],
    ['a missing path', '{"t":"call","id":7,"kind":"query"}', 7, 'protocol error: call.path must be a non-empty string'],
    ['an object path', '{"t":"call","id":8,"kind":"query","path":{"toString":"add"}}', 8, 'protocol error: call.path must be a non-empty string'],
    ['a 10 kB path', `{"t":"call","id":9,"kind":"query","path":"${'a'.repeat(10_000)}"}`, 9, 'protocol error: call.path must be a non-empty string'],
    ['a negative timeout', '{"t":"call","id":10,"kind":"query","path":"add","timeoutMs":-5}', 10, 'protocol error: call.timeoutMs must be a positive number'],
    ['a string timeout', '{"t":"call","id":11,"kind":"query","path":"add","timeoutMs":"5"}', 11, 'protocol error: call.timeoutMs must be a positive number'],
    ['a numeric lastEventId', '{"t":"sub","id":12,"path":"idle","lastEventId":7}', 12, 'protocol error: sub.lastEventId must be a string'],
    ['a cancel without id', '{"t":"cancel"}', null, 'protocol error: cancel.id must be a non-negative integer'],
    ['deep nesting', `{"t":"call","id":13,"kind":"query","path":"echo","input":${'['.repeat(100)}${']'.repeat(100)}}`, null, 'protocol error: JSON nested deeper than 64 levels'],
    ['a repeated hello', '{"t":"hello","v":1,"codec":"json"}', null, 'protocol error: hello was already received'],
  ])('%s', async (_name, frame, id, message) => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send(frame);
    expect(await answerFor(raw, id)).toEqual({ t: 'error', id, error: { code: 'BAD_REQUEST', message } });
    // The connection still works afterwards.
    raw.send({ t: 'call', id: 100, kind: 'query', path: 'add', input: { a: 2, b: 3 } });
    expect(await answerFor(raw, 100)).toEqual({ t: 'result', id: 100, data: 5 });
  });

  it('answers unknown paths, including prototype names, with NOT_FOUND', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    const paths = ['nope', '__proto__', 'constructor', 'toString', 'add.__proto__', 'hasOwnProperty'];
    paths.forEach((path, i) => {
      raw.send({ t: 'call', id: i + 1, kind: 'query', path });
    });
    for (const [i, path] of paths.entries()) {
      expect(await answerFor(raw, i + 1)).toEqual({ t: 'error', id: i + 1, error: { code: 'NOT_FOUND', message: `no query at path "${path}"` } });
    }
    raw.send({ t: 'call', id: 50, kind: 'mutation', path: 'add' });
    expect((await answerFor(raw, 50)).error?.code).toBe('NOT_FOUND');
  });

  it('handles a batch with good and bad messages in order', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send([{ t: 'call', id: 1, kind: 'query', path: 'add', input: { a: 1, b: 1 } }, 7, { t: 'bogus' }, { t: 'ping' }]);
    const seen = [await raw.next(), await raw.next(), await raw.next(), await raw.next()];
    expect(seen.map((m) => m.t).sort()).toEqual(['error', 'error', 'pong', 'result']);
  });

  it('refuses a malformed binary frame with a protocol error and serves a good one (more in binary.test.ts)', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(await answerFor(raw, null)).toEqual({
      t: 'error',
      id: null,
      error: { code: 'BAD_REQUEST', message: 'protocol error: binary frame header out of range' },
    });
    const input = '{"json":[0,2],"meta":{"values":[["custom","duplex.bytes"]],"v":1}}';
    raw.send(Buffer.from(encodeBinaryFrame(`{"t":"call","id":1,"kind":"query","path":"echo","input":${input}}`, [new Uint8Array([1, 2])])));
    expect(await answerFor(raw, 1)).toEqual({ t: 'result', id: 1, data: JSON.parse(input), binary: new Uint8Array([1, 2]) });
  });

  it('closes with 1007 on a text frame that is not UTF-8, others unaffected', async () => {
    await using srv = await startServer(router, anon);
    const client = srv.client<TestRouter>();
    const raw = await openRaw(srv.url);
    await raw.hello();
    // A lone surrogate encoded as UTF-8 bytes (CESU style) is invalid UTF-8.
    raw.ws.send(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), { binary: false });
    expect((await raw.closed).code).toBe(1007);
    expect(await client.add.query({ a: 1, b: 2 })).toBe(3);
  });

  it('closes with 1002 on a frame with reserved bits set, others unaffected', async () => {
    await using srv = await startServer(router, anon);
    const client = srv.client<TestRouter>();
    const raw = await openRaw(srv.url);
    await raw.hello();
    // FIN + RSV1..3 + text opcode, masked, empty payload: the 6-byte frame that kills servers
    // without an error listener on the socket.
    (raw.ws as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.from([0xf1, 0x80, 0, 0, 0, 0]));
    expect((await raw.closed).code).toBe(1002);
    expect(await client.add.query({ a: 1, b: 2 })).toBe(3);
  });

  it('round-trips escaped lone surrogates without harm', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send('{"t":"call","id":1,"kind":"query","path":"echo","input":"a\\ud800b\\udfff"}');
    expect(await answerFor(raw, 1)).toEqual({ t: 'result', id: 1, data: 'a\ud800b\udfff' });
  });

  it('treats huge numbers as the doubles they are', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send('{"t":"call","id":1,"kind":"query","path":"add","input":{"a":1e400,"b":1}}');
    expect((await answerFor(raw, 1)).error?.code).toBe('BAD_REQUEST');
    raw.send(`{"t":"call","id":2,"kind":"query","path":"add","input":{"a":${'9'.repeat(400)},"b":1}}`);
    expect((await answerFor(raw, 2)).error?.code).toBe('BAD_REQUEST'); // 1e400 → Infinity again
    raw.send('{"t":"call","id":3,"kind":"query","path":"add","input":{"a":123456789012345678901234567890,"b":0}}');
    expect(await answerFor(raw, 3)).toEqual({ t: 'result', id: 3, data: 1.2345678901234568e29 });
  });

  it('ignores a timeout beyond the timer range instead of firing it at once', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'hang', timeoutMs: 1e300 });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await answerFor(raw, 2)).toEqual({ t: 'result', id: 2, data: 2 });
    expect(srv.server.stats().calls).toBe(1); // still running: Node would have fired a 1e300 ms timer after 1 ms
    raw.send({ t: 'cancel', id: 1 });
    await expect.poll(() => srv.server.stats().calls).toBe(0);
  });

  it('refuses a reused id without disturbing the call that owns it; ignores unknown cancels', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'sub', id: 1, path: 'idle' });
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await answerFor(raw, null)).toEqual({ t: 'error', id: null, error: { code: 'BAD_REQUEST', message: 'protocol error: id 1 is already in use' } });
    raw.send({ t: 'cancel', id: 999 });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await answerFor(raw, 2)).toEqual({ t: 'result', id: 2, data: 2 });
    expect(srv.server.stats().subscriptions).toBe(1);
  });
});

describe('handshake abuse', () => {
  it('answers a call before hello with a protocol error on its id', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await answerFor(raw, 1)).toEqual({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'protocol error: send hello first' } });
    await raw.hello();
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'add', input: { a: 1, b: 1 } });
    expect(await answerFor(raw, 2)).toEqual({ t: 'result', id: 2, data: 2 });
  });

  it.each([
    ['a string', '"token"'],
    ['an array', '[1,2]'],
    ['a number', '7'],
  ])('closes with 4400 when connectionParams is %s', async (_name, params) => {
    let contexts = 0;
    await using srv = await startServer(router, {
      createContext: () => {
        contexts++;
        return { user: null };
      },
    });
    const raw = await openRaw(srv.url);
    raw.send(`{"t":"hello","v":1,"codec":"json","params":${params}}`);
    expect(await raw.closed).toEqual({ code: CloseCode.BAD_HELLO, reason: 'bad hello: hello.params must be an object' });
    expect(contexts).toBe(0);
  });

  it('bounds connectionParams by the message size limit', async () => {
    await using srv = await startServer(router, { ...anon, maxMessageBytes: 32 * 1024 });
    const raw = await openRaw(srv.url);
    raw.send({ t: 'hello', v: 1, codec: 'json', params: { blob: 'p'.repeat(40 * 1024) } });
    expect((await raw.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it('closes a connection that keeps sending garbage with 1008', async () => {
    await using srv = await startServer(router, { ...anon, maxProtocolErrors: 20 });
    const client = srv.client<TestRouter>();
    const raw = await openRaw(srv.url);
    for (let i = 0; i < 25; i++) raw.send('not json');
    expect(await raw.closed).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: 'too many protocol errors' });
    expect(await client.add.query({ a: 1, b: 2 })).toBe(3);
  });
});

describe('superjson shared references', () => {
  /** A chain of `depth` objects where every level references the next one twice: 2^depth paths. */
  function dagBomb(depth: number): string {
    let json: unknown = { v: 1 };
    for (let i = 0; i < depth; i++) json = { l: json };
    const refs: Record<string, string[]> = {};
    for (let k = 0; k < depth; k++) refs[Array(k + 1).fill('l').join('.')] = [`${k === 0 ? '' : `${Array(k).fill('l').join('.')}.`}r`];
    return JSON.stringify({ json, meta: { referentialEqualities: refs, v: 1 } });
  }

  it('refuses a 2 KB payload that expands to 2^30 values as a tree', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    const bomb = dagBomb(30);
    expect(bomb.length).toBeLessThan(3000);
    raw.send(`{"t":"call","id":1,"kind":"mutation","path":"inspect","input":${bomb}}`);
    expect(await answerFor(raw, 1)).toEqual({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'input payload could not be decoded' } });
    expect(probe.inspected).toEqual([]);
    raw.send(`{"t":"call","id":2,"kind":"mutation","path":"inspect","input":${dagBomb(8)}}`);
    expect(await answerFor(raw, 2)).toEqual({ t: 'result', id: 2, data: { json: 'inspected' } });
  });

  it('keeps ordinary sharing and cycles working', async () => {
    await using srv = await startServer(router, anon);
    const client = srv.client<TestRouter>();
    const author = { name: 'Ada', tags: new Set(['math']) };
    const posts = Array.from({ length: 500 }, (_, i) => ({ i, author }));
    const echoed = (await client.echo.query(posts)) as typeof posts;
    expect(echoed).toHaveLength(500);
    expect(echoed[0]?.author).toBe(echoed[499]?.author);
    const cyclic: { n: number; self?: unknown } = { n: 1 };
    cyclic.self = cyclic;
    const back = (await client.echo.query(cyclic)) as typeof cyclic;
    expect(back.self).toBe(back);
  });
});

describe('prototype pollution', () => {
  const polluted = [
    ['json codec, top level', 'json', '{"__proto__":{"isAdmin":true}}'],
    ['json codec, nested', 'json', '{"a":[{"b":{"__proto__":{"isAdmin":true}}}]}'],
    ['json codec, unicode-escaped key', 'json', '{"\\u005f\\u005fproto\\u005f\\u005f":{"isAdmin":true}}'],
    ['json codec, constructor.prototype', 'json', '{"constructor":{"prototype":{"isAdmin":true}}}'],
    ['superjson json', 'superjson', '{"json":{"__proto__":{"isAdmin":true}}}'],
    ['superjson meta', 'superjson', '{"json":{},"meta":{"values":{"__proto__":["isAdmin"]}}}'],
  ] as const;

  it.each(polluted)('refuses %s with BAD_REQUEST before any handler runs', async (_name, codec, input) => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec });
    raw.send(`{"t":"call","id":1,"kind":"mutation","path":"inspect","input":${input}}`);
    const answer = await answerFor(raw, 1);
    expect(answer.error?.code).toBe('BAD_REQUEST');
    expect(answer.error?.message).toMatch(/^protocol error: forbidden key "(__proto__|constructor\.prototype)"$/);
    expect(probe.inspected).toEqual([]);
    expectCleanPrototype();
  });

  it.each([
    ['a values path through __proto__', '{"json":{"a":{}},"meta":{"values":{"a.__proto__.isAdmin":"undefined"},"v":1}}'],
    ['a values path through constructor.prototype', '{"json":{"a":{}},"meta":{"values":{"a.constructor.prototype.isAdmin":"Date"},"v":1}}'],
    ['a referential path through __proto__', '{"json":{"a":{"isAdmin":true}},"meta":{"referentialEqualities":{"a":["b.__proto__"]},"v":1}}'],
    ['an unregistered class', '{"json":{"isAdmin":true},"meta":{"values":[["class","Object"]],"v":1}}'],
    ['an unknown annotation', '{"json":{},"meta":{"values":["__proto__"],"v":1}}'],
    [`a BigInt of more than ${MAX_BIGINT_DIGITS} digits`, `{"json":"${'9'.repeat(MAX_BIGINT_DIGITS + 1)}","meta":{"values":["bigint"],"v":1}}`],
  ])('refuses a superjson payload with %s as undecodable', async (_name, input) => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(`{"t":"call","id":1,"kind":"mutation","path":"inspect","input":${input}}`);
    expect(await answerFor(raw, 1)).toEqual({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'input payload could not be decoded' } });
    expect(probe.inspected).toEqual([]);
    expectCleanPrototype();
  });

  it('refuses __proto__ in connectionParams with 4400', async () => {
    let contexts = 0;
    await using srv = await startServer(router, {
      createContext: () => {
        contexts++;
        return { user: null };
      },
    });
    const raw = await openRaw(srv.url);
    raw.send('{"t":"hello","v":1,"codec":"json","params":{"__proto__":{"isAdmin":true}}}');
    expect(await raw.closed).toEqual({ code: CloseCode.BAD_HELLO, reason: 'bad hello: forbidden key "__proto__"' });
    expect(contexts).toBe(0);
    expectCleanPrototype();
  });

  it('lets harmless look-alikes through untouched', async () => {
    await using srv = await startServer(router, anon);
    // superjson itself refuses to serialize a `constructor` key, so that one goes as plain JSON.
    const json = srv.client<TestRouter>({ codec: 'json' });
    const plain = { constructor: 'a word', nested: { prototype: 1, constructor: [1] }, text: '__proto__ is just text \\u' };
    expect(await json.echo.query(plain)).toEqual(plain);
    const rich = srv.client<TestRouter>();
    const value = { text: '__proto__ and constructor are just text', big: 12345678901234567890n, when: new Date(0) };
    expect(await rich.echo.query(value)).toEqual(value);
  });

  it('names the offending call and leaves the rest of the batch alone', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send(`[{"t":"call","id":1,"kind":"mutation","path":"inspect","input":{"__proto__":{}}},{"t":"call","id":2,"kind":"query","path":"add","input":{"a":1,"b":2}}]`);
    expect((await answerFor(raw, 1)).error?.message).toBe('protocol error: forbidden key "__proto__"');
    expect(await answerFor(raw, 2)).toEqual({ t: 'result', id: 2, data: 3 });
  });
});
