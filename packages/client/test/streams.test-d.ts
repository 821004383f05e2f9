import { initDuplex, streamOf } from '@duplex/server';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { DuplexClient } from '../src/index.js';

const d = initDuplex.create();
const router = d.router({
  upload: d.procedure.input(streamOf(z.instanceof(Uint8Array))).mutation(async ({ input }) => {
    expectTypeOf(input).toEqualTypeOf<AsyncIterable<Uint8Array<ArrayBuffer>>>();
    return 1;
  }),
  tokens: d.procedure.input(z.object({ prompt: z.string() })).query(async function* () {
    yield 'a';
  }),
  readable: d.procedure.query(() => new ReadableStream<number>()),
  checked: d.procedure.output(streamOf(z.string().transform((s) => s.length))).query(async function* () {
    yield 'abc';
  }),
  chat: d.procedure.input(streamOf(z.object({ text: z.string() }))).mutation(async function* ({ input }) {
    for await (const message of input) yield { reply: message.text };
  }),
});
declare const client: DuplexClient<typeof router>;

describe('stream types', () => {
  it('a client stream takes an AsyncIterable or a ReadableStream of the item input type', () => {
    expectTypeOf(client.upload.mutate).parameter(0).toEqualTypeOf<AsyncIterable<Uint8Array<ArrayBuffer>> | ReadableStream<Uint8Array<ArrayBuffer>>>();
    expectTypeOf(client.upload.mutate).returns.resolves.toEqualTypeOf<number>();
    // @ts-expect-error a plain value is not a stream
    void client.upload.mutate(42);
  });

  it('a streamed result is an AsyncIterable of the items', () => {
    expectTypeOf(client.tokens.query).returns.resolves.toEqualTypeOf<AsyncIterable<string>>();
    expectTypeOf(client.readable.query).returns.resolves.toEqualTypeOf<AsyncIterable<number>>();
    expectTypeOf(client.checked.query).returns.resolves.toEqualTypeOf<AsyncIterable<number>>();
  });

  it('a two-way stream takes a stream and yields one', () => {
    expectTypeOf(client.chat.mutate).parameter(0).toEqualTypeOf<AsyncIterable<{ text: string }> | ReadableStream<{ text: string }>>();
    expectTypeOf(client.chat.mutate).returns.resolves.toEqualTypeOf<AsyncIterable<{ reply: string }>>();
  });
});
