import { decodeBinaryFrame, encodeBinaryFrame, jsonCodec } from '@duplex/core';
import { createMemoryPair, deferred } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { initDuplex } from './init.js';

const d = initDuplex.create();
const bytes = (...values: number[]) => new Uint8Array(values);

const router = d.router({
  upload: d.procedure
    .input(z.object({ name: z.string(), file: z.instanceof(Uint8Array) }))
    .mutation(({ input }) => ({ name: input.name, size: input.file.byteLength, sum: input.file.reduce((a, b) => a + b, 0) })),
  echo: d.procedure.input(z.unknown()).query(({ input }) => input),
  download: d.procedure.input(z.number()).query(({ input }) => ({ parts: [new Uint8Array(input).fill(1), new Uint8Array(0)], n: input })),
  chunks: d.procedure.input(z.number()).subscription(async function* ({ input }) {
    for (let i = 0; i < input; i++) yield new Uint8Array(i).fill(i);
  }),
});

const binary = (frames: Array<string | Uint8Array>) => frames.filter((frame): frame is Uint8Array => typeof frame !== 'string');

describe('binary payloads over an in-memory pair', () => {
  it('sends an input holding bytes as one binary frame, the rest stays text', async () => {
    const pair = createMemoryPair(router);
    const result = await pair.client.call('mutation', 'upload', { name: 'a.bin', file: bytes(1, 2, 3) });
    expect(result).toEqual({ name: 'a.bin', size: 3, sum: 6 });
    expect(pair.frames.toServer).toHaveLength(2); // hello (text), the call (binary)
    expect(typeof pair.frames.toServer[0]).toBe('string');
    const [frame] = binary(pair.frames.toServer);
    const { text, attachments } = decodeBinaryFrame(frame as Uint8Array);
    expect(JSON.parse(text)).toMatchObject({ t: 'call', kind: 'mutation', path: 'upload', input: { json: { name: 'a.bin', file: [0, 3] } } });
    expect([...attachments.section]).toEqual([1, 2, 3]);
    // The plain result came back as text.
    expect(binary(pair.frames.toClient)).toEqual([]);
  });

  it('returns results holding bytes, zero-length ones too', async () => {
    const pair = createMemoryPair(router);
    const result = (await pair.client.call('query', 'download', 4)) as { parts: Uint8Array[]; n: number };
    expect(result.parts[0]).toEqual(bytes(1, 1, 1, 1));
    expect(result.parts[1]).toBeInstanceOf(Uint8Array);
    expect(result.parts[1]).toHaveLength(0);
    expect(binary(pair.frames.toClient)).toHaveLength(1);
  });

  it('keeps order across a tick of mixed text and binary messages, each binary frame alone', async () => {
    const pair = createMemoryPair(router);
    const inputs: unknown[] = [1, bytes(1), { deep: [new Map([['k', bytes(2, 2)]])] }, 'x', [bytes(3), bytes(), bytes(4, 4)], 2];
    const results = await Promise.all(inputs.map((input) => pair.client.call('query', 'echo', input)));
    expect(results).toEqual(inputs);
    // hello | 1 | bytes | map | 'x' | array | 2 — three binary frames between text frames, in order.
    expect(pair.frames.toServer.map((frame) => typeof frame)).toEqual(['string', 'string', 'object', 'object', 'string', 'object', 'string']);
    expect(pair.frames.toClient.map((frame) => typeof frame)).toEqual(['string', 'string', 'object', 'object', 'string', 'object', 'string']);
  });

  it('streams subscription events holding bytes', async () => {
    const pair = createMemoryPair(router);
    const events: Uint8Array[] = [];
    const done = deferred();
    pair.client.subscribe('chunks', 4, { onData: (value) => events.push(value as Uint8Array), onComplete: () => done.resolve() });
    await done.promise;
    expect(events).toEqual([bytes(), bytes(1), bytes(2, 2), bytes(3, 3, 3)]);
    expect(pair.server.stats).toEqual({ calls: 0, subscriptions: 0 });
  });

  it('resends a subscription input holding bytes on the next link, as a binary frame again', async () => {
    const gate = deferred();
    const seen: Uint8Array[] = [];
    const resumable = d.router({
      watch: d.procedure.input(z.instanceof(Uint8Array)).subscription(async function* ({ input }) {
        seen.push(input);
        yield input.byteLength;
        await gate.promise;
      }),
    });
    const pair = createMemoryPair(resumable);
    const first = deferred<unknown>();
    pair.client.subscribe('watch', bytes(5, 6), { onData: (value) => first.resolve(value) });
    expect(await first.promise).toBe(2);
    const sent: Array<string | Uint8Array> = [];
    pair.client.detach();
    const link = pair.client.attach((frame) => sent.push(frame), { t: 'hello', v: 1, codec: 'superjson' });
    // Subscriptions go out once the server's `ready` has stated its limits.
    pair.client.receive(JSON.stringify({ t: 'ready', cid: 'c2' }), link);
    await Promise.resolve();
    const [frame] = binary(sent);
    const { attachments } = decodeBinaryFrame(frame as Uint8Array);
    expect([...attachments.section]).toEqual([5, 6]);
    expect(seen).toEqual([bytes(5, 6)]);
    gate.resolve();
    pair.cut();
  });

  it('answers a binary frame whose references do not match its attachments with a protocol error', async () => {
    const onError = vi.fn();
    const pair = createMemoryPair(router, { onError });
    await pair.client.call('query', 'echo', 1);
    const input = '{"json":{"f":[0,3]},"meta":{"values":{"f":[["custom","duplex.bytes"]]},"v":1}}';
    const frames: Array<[Uint8Array, number | null, string]> = [
      [encodeBinaryFrame(`{"t":"call","id":90,"kind":"query","path":"echo","input":${input}}`, [bytes(1, 2)]), 90, 'protocol error: binary frame: attachment reference out of range'],
      [encodeBinaryFrame(`{"t":"call","id":91,"kind":"query","path":"echo","input":${input}}`, [bytes(1, 2, 3, 4)]), 91, 'protocol error: binary frame: attachment bytes not referenced'],
      [encodeBinaryFrame('{"t":"ping"}', []), null, 'protocol error: a binary frame must carry one call, sub or data message with a payload'],
      [bytes(0, 0), null, 'protocol error: binary frame header out of range'],
    ];
    for (const [frame] of frames) pair.server.receiveBinary(frame);
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(frames.length));
    expect(onError.mock.calls.map(([event]) => [event.error.code, event.error.message])).toEqual(frames.map(([, , message]) => ['BAD_REQUEST', message]));
    await expect(pair.client.call('query', 'echo', bytes(8))).resolves.toEqual(bytes(8));
    expect(pair.server.stats).toEqual({ calls: 0, subscriptions: 0 });
  });

  it('sends bytes in text frames with the json codec, as JSON.stringify does', async () => {
    const pair = createMemoryPair(router, { codec: jsonCodec });
    await expect(pair.client.call('query', 'echo', { f: bytes(104, 105) })).resolves.toEqual({ f: { 0: 104, 1: 105 } });
    expect(binary(pair.frames.toServer)).toEqual([]);
    expect(binary(pair.frames.toClient)).toEqual([]);
  });
});
