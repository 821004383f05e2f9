import { concatBytes, decodeBinaryFrame, decodeFrameRecords, encodeBinaryFrame, encodeFrameRecords } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { createFetchHandler } from '@duplex/server/fetch';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();
const router = d.router({
  echo: d.procedure.input(z.unknown()).query(({ input }) => input),
  save: d.procedure.input(z.unknown()).mutation(({ input }) => input),
  ping: d.procedure.query(() => 'pong'),
});

const subRouter = d.router({
  /** Two events, each the input's `f` bytes. */
  ticks: d.procedure.input(z.object({ f: z.instanceof(Uint8Array) })).subscription(async function* ({ input }) {
    yield input.f;
    yield input.f;
  }),
});

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
afterAll(() => expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys));

const FRAMES = 'application/x-duplex-frames';
const bytes = (...values: number[]) => new Uint8Array(values);
const bytesType = '[["custom","duplex.bytes"]]';
/** A superjson input `{ f: <bytes> }` whose reference is `ref`. */
const refInput = (ref: string) => `{"json":{"f":${ref}},"meta":{"values":{"f":${bytesType}},"v":1}}`;
const call = (id: number, input: string) => `{"t":"call","id":${id},"kind":"query","path":"echo","input":${input}}`;
const good = () => encodeBinaryFrame(call(1, refInput('[0,2]')), [bytes(5, 6)]);

function post(body: Uint8Array<ArrayBuffer>, accept = FRAMES): Request {
  return new Request('http://127.0.0.1/?codec=superjson', { method: 'POST', body, headers: { 'Content-Type': FRAMES, Accept: accept } });
}

/** A record whose length prefix says `n`, whatever follows. */
function record(n: number, ...rest: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, n);
  return concatBytes([header, ...rest]);
}

describe('Fetch handler: calls as binary frame records (protocol.md §12.1)', () => {
  it('answers a batch of frames with frames, bytes raw, ids kept, and JSON to a client that did not ask', async () => {
    const handler = createFetchHandler({ router });
    const body = encodeFrameRecords([good(), encodeBinaryFrame('{"t":"call","id":2,"kind":"query","path":"ping"}', [])]);
    const response = await handler.fetch(post(body));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(FRAMES);
    const [first, second] = decodeFrameRecords(new Uint8Array(await response.arrayBuffer())).map(decodeBinaryFrame);
    expect(JSON.parse(first?.text ?? '')).toEqual({ t: 'result', id: 1, data: JSON.parse(refInput('[0,2]')) });
    expect([...(first?.attachments.section ?? [])]).toEqual([5, 6]);
    expect(JSON.parse(second?.text ?? '')).toEqual({ t: 'result', id: 2, data: { json: 'pong' } });
    expect(second?.attachments.section.byteLength).toBe(0);
    // Without `Accept: application/x-duplex-frames` a result holding bytes cannot be answered.
    const plain = await handler.fetch(post(encodeFrameRecords([good()]), 'application/json'));
    expect(plain.headers.get('content-type')).toContain('application/json');
    expect(((await plain.json()) as { t: string }).t).toBe('error');
    await handler.close({ drainMs: 0 });
    expect(handler.stats()).toEqual({ requests: 0, streams: 0 });
  });

  const hostile: Array<[string, Uint8Array<ArrayBuffer>, string]> = [
    ['an empty body', new Uint8Array(0), 'a batch is a non-empty array of calls'],
    ['a record header cut short', bytes(0, 0), 'frame record header cut short'],
    ['a record longer than the body', record(500, good()), 'frame record cut short'],
    ['a record of 2^32 - 1 bytes', record(0xffffffff), 'frame record cut short'],
    ['a frame header out of range', encodeFrameRecords([record(900, bytes(1, 2))]), 'call 0: binary frame header out of range'],
    ['JSON that is not UTF-8', encodeFrameRecords([record(3, bytes(0x22, 0xc3, 0x22))]), 'call 0: binary frame JSON is not UTF-8'],
    ['invalid JSON', encodeFrameRecords([encodeBinaryFrame('{"t":"call",', [])]), 'call 0: frame is not valid JSON'],
    ['a message that is not a call', encodeFrameRecords([encodeBinaryFrame('{"t":"sub","id":1,"path":"echo","input":{}}', [bytes(1)])]), 'call 0: a frame record holds one call message'],
    ['a call with a client stream', encodeFrameRecords([encodeBinaryFrame('{"t":"call","id":1,"kind":"query","path":"echo","stream":true}', [])]), 'client streams need the WebSocket transport'],
    ['a reference out of range', encodeFrameRecords([encodeBinaryFrame(call(6, refInput('[1,3]')), [bytes(1, 2, 3)])]), 'call 0: binary frame: attachment reference out of range'],
    ['unreferenced bytes', encodeFrameRecords([good(), encodeBinaryFrame(call(8, refInput('[0,1]')), [bytes(1, 2)])]), 'call 1: binary frame: attachment bytes not referenced'],
    [
      'overlapping references',
      encodeFrameRecords([encodeBinaryFrame(call(10, `{"json":{"a":[0,2],"b":[1,2]},"meta":{"values":{"a":${bytesType},"b":${bytesType}},"v":1}}`), [bytes(1, 2, 3)])]),
      'call 0: binary frame: attachment references overlap',
    ],
    ['deep nesting', encodeFrameRecords([encodeBinaryFrame(call(11, `{"json":${'['.repeat(100)}${']'.repeat(100)}}`), [])]), 'call 0: JSON nested deeper than 64 levels'],
    ['a __proto__ key', encodeFrameRecords([encodeBinaryFrame(call(12, '{"json":{"__proto__":{"isAdmin":true}}}'), [])]), 'call 0: forbidden key "__proto__"'],
    ['duplicate ids', encodeFrameRecords([good(), good()]), 'ids in a batch must be unique'],
  ];

  it.each(hostile)('refuses %s with a typed 400, then serves the next request', async (_name, body, reason) => {
    const handler = createFetchHandler({ router });
    const response = await handler.fetch(post(body));
    expect(response.status).toBe(reason.startsWith('client streams') ? 501 : 400);
    const answer = (await response.json()) as { t: string; id: null; error: { code: string; message: string } };
    expect(answer.t).toBe('error');
    expect(answer.error.message).toContain(reason);
    const next = await handler.fetch(post(encodeFrameRecords([good()])));
    expect(next.status).toBe(200);
    await handler.close({ drainMs: 0 });
    expect(handler.stats()).toEqual({ requests: 0, streams: 0 });
  });

  it('serves a subscription whose input holds bytes from one sub frame record, and refuses a bad one with a typed 400', async () => {
    const handler = createFetchHandler({ router: subRouter });
    const sub = (path: string) => encodeBinaryFrame(`{"t":"sub","id":3,"path":"${path}","input":${refInput('[0,2]')}}`, [bytes(4, 2)]);
    const subscribe = (body: Uint8Array<ArrayBuffer>) =>
      handler.fetch(new Request('http://127.0.0.1/ticks?codec=superjson', { method: 'POST', body, headers: { 'Content-Type': FRAMES, Accept: `text/event-stream, ${FRAMES}` } }));
    const response = await subscribe(encodeFrameRecords([sub('ticks')]));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text()).split('\n\n').filter((block) => block.includes('data: '));
    expect(events).toHaveLength(3); // two events, then done
    const frame = decodeBinaryFrame(Uint8Array.from(atob((events[0] as string).split('data: ')[1] as string), (c) => c.charCodeAt(0)));
    expect(events[0]).toContain('event: frame');
    expect(JSON.parse(frame.text)).toMatchObject({ t: 'data' });
    expect([...frame.attachments.section]).toEqual([4, 2]);
    expect(events[2]).toBe('data: {"t":"done"}');
    for (const [body, reason] of [
      [encodeFrameRecords([sub('ticks'), sub('ticks')]), 'a subscription body holds one frame record'],
      [encodeFrameRecords([sub('other')]), 'the frame record holds no sub message for ticks'],
      [record(99, sub('ticks')), 'frame record cut short'],
      [encodeFrameRecords([encodeBinaryFrame(`{"t":"sub","id":3,"path":"ticks","input":${refInput('[0,9]')}}`, [bytes(4, 2)])]), 'attachment reference out of range'],
    ] as const) {
      const refused = await subscribe(body);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(reason);
    }
    await handler.close({ drainMs: 0 });
    expect(handler.stats()).toEqual({ requests: 0, streams: 0 });
  });

  it('counts the bytes in maxMessageBytes: a larger body gets 413 PAYLOAD_TOO_LARGE', async () => {
    const handler = createFetchHandler({ router, maxMessageBytes: 1024 });
    const big = encodeFrameRecords([encodeBinaryFrame(call(1, refInput('[0,2000]')), [new Uint8Array(2000)])]);
    const response = await handler.fetch(post(big));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    await handler.close({ drainMs: 0 });
  });
});
