import { CloseCode, concatBytes, DEFAULT_MAX_MESSAGE_BYTES, encodeBinaryFrame } from '@duplex/core';
import { binary } from '@duplex/client/binary';
import { initDuplex } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openRaw, type RawSocket } from './raw-socket.js';

const d = initDuplex.context<{ user: null }>().create();
const anon = { createContext: () => ({ user: null }) };

const files = d.router({
  upload: d.procedure
    .input(z.object({ name: z.string(), file: z.instanceof(Uint8Array) }))
    .mutation(({ input }) => ({ name: input.name, size: input.file.byteLength, last: input.file.at(-1) })),
  download: d.procedure.input(z.object({ size: z.number().int().max(2_000_000) })).query(({ input }) => {
    const file = new Uint8Array(input.size);
    for (let i = 0; i < file.length; i++) file[i] = i % 251;
    return { file, at: new Date(0) };
  }),
  echo: d.procedure.input(z.unknown()).query(({ input }) => input),
  /** What the handler's bytes are: how long, in how large a buffer, and whether a Node Buffer. */
  inspect: d.procedure.input(z.instanceof(Uint8Array)).mutation(({ input }) => ({ length: input.byteLength, buffer: input.buffer.byteLength, isBuffer: Buffer.isBuffer(input) })),
  chunks: d.procedure.input(z.object({ count: z.number().int().max(100) })).subscription(async function* ({ input }) {
    for (let i = 0; i < input.count; i++) yield { i, chunk: new Uint8Array(i).fill(i) };
  }),
});
type Files = typeof files;

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
afterAll(() => expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys));

const bytes = (...values: number[]) => new Uint8Array(values);
const bytesType = '[["custom","duplex.bytes"]]';
/** A superjson input `{ f: <bytes> }` whose reference is `ref`. */
const refInput = (ref: string) => `{"json":{"f":${ref}},"meta":{"values":{"f":${bytesType}},"v":1}}`;
const call = (id: number, input: string) => `{"t":"call","id":${id},"kind":"query","path":"echo","input":${input}}`;

/** A frame whose header announces `n` bytes of JSON, whatever follows. */
function withHeader(n: number, ...rest: Uint8Array[]): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, n);
  return concatBytes([header, ...rest]);
}
const utf8 = (text: string) => new TextEncoder().encode(text);

function answerFor(raw: RawSocket, id: number | null) {
  return raw.until((m) => (m.t === 'error' || m.t === 'result') && m.id === id);
}

describe('Uint8Array payloads over real sockets', () => {
  it('uploads bytes and downloads them, in binary frames', async () => {
    await using srv = await startServer(files, anon);
    const client = srv.client<Files>({ binary });
    const file = new Uint8Array(1000).fill(7);
    await expect(client.upload.mutate({ name: 'a.bin', file })).resolves.toEqual({ name: 'a.bin', size: 1000, last: 7 });
    const down = await client.download.query({ size: 70_000 });
    expect(down.file).toBeInstanceOf(Uint8Array);
    expect(down.file.byteLength).toBe(70_000);
    expect(down.file[300]).toBe(300 % 251);
    expect(down.at).toEqual(new Date(0));
    await expect(client.echo.query({ empty: new Uint8Array(0), buf: Buffer.from('hi') })).resolves.toEqual({ empty: bytes(), buf: bytes(104, 105) });
  });

  it('hands a handler bytes that pin no other message, not a view into the socket read they came in', async () => {
    await using srv = await startServer(files, anon);
    const client = srv.client<Files>({ binary });
    // Twenty small frames written at once: the server reads several in one chunk from the socket.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.inspect.mutate(new Uint8Array(i + 1).fill(i))));
    answers.forEach((answer, i) => {
      expect(answer).toMatchObject({ length: i + 1, isBuffer: false });
      // Its own copy, or at most its own frame (the value behind this message's header and JSON).
      expect(answer.buffer).toBeLessThan(i + 1 + 200);
    });
  });

  it('streams subscription events holding bytes', async () => {
    await using srv = await startServer(files, anon);
    const client = srv.client<Files>({ binary });
    const events: Array<{ i: number; chunk: Uint8Array }> = [];
    for await (const event of client.chunks.iterate({ count: 5 })) events.push(event);
    expect(events.map(({ chunk }) => [...chunk])).toEqual([[], [1], [2, 2], [3, 3, 3], [4, 4, 4, 4]]);
    await expect.poll(() => srv.server.stats()).toMatchObject({ calls: 0, subscriptions: 0 });
  });

  it('carries an upload just under maxMessageBytes and refuses one just over it before sending', async () => {
    await using srv = await startServer(files, anon);
    const client = srv.client<Files>({ binary });
    const near = new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES - 400).fill(3);
    await expect(client.upload.mutate({ name: 'near', file: near })).resolves.toMatchObject({ size: near.byteLength, last: 3 });
    const over = new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES).fill(4);
    await expect(client.upload.mutate({ name: 'over', file: over })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // The connection was never put at risk: the next call goes through on it.
    await expect(client.echo.query(1)).resolves.toBe(1);
    expect(srv.server.stats().connections).toBe(1);
  });

  it('downloads a result of about 1 MiB', async () => {
    await using srv = await startServer(files, anon);
    const client = srv.client<Files>({ binary });
    const { file } = await client.download.query({ size: DEFAULT_MAX_MESSAGE_BYTES - 1000 });
    expect(file.byteLength).toBe(DEFAULT_MAX_MESSAGE_BYTES - 1000);
  });

  it('answers a raw binary call on its id with a binary result', async () => {
    await using srv = await startServer(files, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(Buffer.from(encodeBinaryFrame(call(1, refInput('[0,3]')), [bytes(9, 8, 7)])));
    const answer = await answerFor(raw, 1);
    expect(answer).toMatchObject({ t: 'result', id: 1, data: { json: { f: [0, 3] }, meta: { values: { f: [['custom', 'duplex.bytes']] } } } });
    expect([...(answer.binary as Uint8Array)]).toEqual([9, 8, 7]);
  });
});

describe('malformed binary frames are answered, never fatal', () => {
  const frames: Array<[string, Uint8Array, number | null, string]> = [
    ['empty', bytes(), null, 'binary frame header out of range'],
    ['shorter than the header', bytes(0, 0, 0), null, 'binary frame header out of range'],
    ['N larger than the frame', withHeader(500, utf8('{}')), null, 'binary frame header out of range'],
    ['N of 2^32 - 1', withHeader(0xffffffff), null, 'binary frame header out of range'],
    ['garbage', bytes(0xde, 0xad, 0xbe, 0xef), null, 'binary frame header out of range'],
    ['JSON that is not UTF-8', withHeader(3, bytes(0x22, 0xc3, 0x22)), null, 'binary frame JSON is not UTF-8'],
    ['invalid JSON', encodeBinaryFrame('{"t":"call",', []), null, 'frame is not valid JSON'],
    ['an empty JSON part', encodeBinaryFrame('', [bytes(1)]), null, 'frame is not valid JSON'],
    ['a batch array', encodeBinaryFrame(`[${call(2, refInput('[0,1]'))}]`, [bytes(1)]), null, 'message must be a JSON object'],
    ['a message without payload', encodeBinaryFrame('{"t":"ping"}', []), null, 'a binary frame must carry one call, sub or data message with a payload'],
    ['a cancel', encodeBinaryFrame('{"t":"cancel","id":3}', []), 3, 'a binary frame must carry one call, sub or data message with a payload'],
    ['a call without input', encodeBinaryFrame('{"t":"call","id":4,"kind":"query","path":"echo"}', []), 4, 'a binary frame must carry one call, sub or data message with a payload'],
    ['a bad envelope', encodeBinaryFrame('{"t":"call","id":5,"kind":"nope","path":"echo","input":{}}', []), 5, 'call.kind must be "query" or "mutation"'],
    ['a reference out of range', encodeBinaryFrame(call(6, refInput('[1,3]')), [bytes(1, 2, 3)]), 6, 'binary frame: attachment reference out of range'],
    ['a reference that is not a pair', encodeBinaryFrame(call(7, refInput('{"o":0}')), [bytes(1)]), 7, 'binary frame: attachment reference out of range'],
    ['unreferenced attachment bytes', encodeBinaryFrame(call(8, refInput('[0,1]')), [bytes(1, 2)]), 8, 'binary frame: attachment bytes not referenced'],
    ['attachments and no reference', encodeBinaryFrame(call(9, '{"json":1}'), [bytes(1)]), 9, 'binary frame: attachment bytes not referenced'],
    [
      'overlapping references',
      encodeBinaryFrame(call(10, `{"json":{"a":[0,2],"b":[1,2]},"meta":{"values":{"a":${bytesType},"b":${bytesType}},"v":1}}`), [bytes(1, 2, 3)]),
      10,
      'binary frame: attachment references overlap',
    ],
    [
      'deep nesting in the JSON part',
      encodeBinaryFrame(call(11, `{"json":${'['.repeat(100)}${']'.repeat(100)}}`), []),
      null,
      'JSON nested deeper than 64 levels',
    ],
    ['a __proto__ key in the JSON part', encodeBinaryFrame(call(12, '{"json":{"__proto__":{"isAdmin":true}}}'), []), 12, 'forbidden key "__proto__"'],
  ];

  it.each(frames)('%s', async (_name, frame, id, reason) => {
    await using srv = await startServer(files, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(Buffer.from(frame));
    expect(await answerFor(raw, id)).toEqual({ t: 'error', id, error: { code: 'BAD_REQUEST', message: `protocol error: ${reason}` } });
    // The connection still works afterwards, binary frames included.
    raw.send(Buffer.from(encodeBinaryFrame(call(100, refInput('[0,2]')), [bytes(5, 6)])));
    expect(await answerFor(raw, 100)).toMatchObject({ t: 'result', id: 100, binary: bytes(5, 6) });
    expect(srv.server.stats()).toMatchObject({ connections: 1, calls: 0 });
  });

  it('answers a superjson payload it cannot decode on the call id, like in a text frame', async () => {
    await using srv = await startServer(files, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    const input = `{"json":{"f":[0,1],"g":1},"meta":{"values":{"f":${bytesType},"g":["nope"]},"v":1}}`;
    raw.send(Buffer.from(encodeBinaryFrame(call(1, input), [bytes(1)])));
    expect(await answerFor(raw, 1)).toEqual({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'input payload could not be decoded' } });
  });

  it('refuses a bytes reference in a text frame as undecodable input', async () => {
    await using srv = await startServer(files, anon);
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(call(1, refInput('[0,0]')));
    expect(await answerFor(raw, 1)).toEqual({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'input payload could not be decoded' } });
  });

  it('refuses a binary frame before hello, then serves the connection', async () => {
    await using srv = await startServer(files, anon);
    const raw = await openRaw(srv.url);
    raw.send(Buffer.from(encodeBinaryFrame(call(1, refInput('[0,1]')), [bytes(1)])));
    expect(await answerFor(raw, null)).toEqual({ t: 'error', id: null, error: { code: 'BAD_REQUEST', message: 'protocol error: binary frame before hello' } });
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(Buffer.from(encodeBinaryFrame(call(2, refInput('[0,1]')), [bytes(1)])));
    expect(await answerFor(raw, 2)).toMatchObject({ t: 'result', id: 2 });
  });

  it('refuses attachments with the json codec, which has no references', async () => {
    await using srv = await startServer(files, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send(Buffer.from(encodeBinaryFrame(call(1, '{"f":[0,1]}'), [bytes(1)])));
    expect(await answerFor(raw, 1)).toEqual({ t: 'error', id: 1, error: { code: 'BAD_REQUEST', message: 'protocol error: binary frame: attachment bytes not referenced' } });
  });

  it('counts bad binary frames in the protocol-error budget and closes with 1008, others unaffected', async () => {
    await using srv = await startServer(files, { ...anon, maxProtocolErrors: 20 });
    const client = srv.client<Files>({ binary });
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    for (let i = 0; i < 25; i++) raw.send(Buffer.from([1, 2, 3]));
    expect(await raw.closed).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: 'too many protocol errors' });
    await expect(client.echo.query(bytes(1))).resolves.toEqual(bytes(1));
  });

  it('closes with 1009 on a binary frame over maxMessageBytes, others unaffected', async () => {
    await using srv = await startServer(files, { ...anon, maxMessageBytes: 64 * 1024 });
    const client = srv.client<Files>({ binary });
    const raw = await openRaw(srv.url);
    await raw.hello(undefined, { codec: 'superjson' });
    raw.send(Buffer.from(encodeBinaryFrame(call(1, refInput(`[0,${65 * 1024}]`)), [new Uint8Array(65 * 1024)])));
    expect((await raw.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    await expect(client.echo.query(bytes(2))).resolves.toEqual(bytes(2));
  });
});
