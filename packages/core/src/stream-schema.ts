import type { StandardSchemaV1 } from './standard-schema.js';

/** What a client may pass where a procedure takes a stream: an async iterable or a Web `ReadableStream`. */
export type StreamSource<TItem> = AsyncIterable<TItem> | ReadableStream<TItem>;

/**
 * The result type a client sees for a handler that returns a stream (an AsyncIterable, such as an
 * async generator, or a `ReadableStream`): an AsyncIterable of its items. Other results unchanged.
 * Applied by the client's types (not the builder's: there it cost twice the type instantiations).
 */
export type StreamedOutput<TResult> = TResult extends { readonly [Symbol.asyncIterator]: unknown } | { readonly getReader: unknown }
  ? StreamItems<TResult>
  : TResult;

/** The items of a stream, as the client reads them (only reached for results that have a stream's key). */
type StreamItems<TResult> = TResult extends AsyncIterable<infer TItem>
  ? AsyncIterable<TItem>
  : TResult extends ReadableStream<infer TItem>
    ? AsyncIterable<TItem>
    : TResult;

/**
 * A schema for a stream of items, each validated by `item` as it arrives (protocol.md §7.2). As an
 * `.input()` the procedure takes a client stream: the client passes a {@link StreamSource} and the
 * handler reads an `AsyncIterable`. As an `.output()` the handler returns a stream whose items are
 * checked one by one, and the client reads an `AsyncIterable`.
 */
export interface StreamSchema<TItem extends StandardSchemaV1 = StandardSchemaV1>
  extends StandardSchemaV1<StreamSource<StandardSchemaV1.InferInput<TItem>>, AsyncIterable<StandardSchemaV1.InferOutput<TItem>>> {
  /** The schema of one item. */
  readonly '~item': TItem;
}

/**
 * Declares a stream of `item`s, for `.input()` (client and two-way streams) or `.output()`
 * (streamed results).
 * @example
 * upload: d.procedure
 *   .input(streamOf(z.instanceof(Uint8Array)))
 *   .mutation(async ({ input }) => {
 *     let bytes = 0;
 *     for await (const chunk of input) bytes += chunk.byteLength;
 *     return bytes;
 *   }),
 */
export function streamOf<TItem extends StandardSchemaV1>(item: TItem): StreamSchema<TItem> {
  return {
    '~item': item,
    '~standard': {
      version: 1,
      vendor: 'duplex',
      // The stream itself is checked where it is read: every item against `item`.
      validate: (value) => (isStreamSource(value) ? { value: value as never } : { issues: [{ message: 'expected a stream' }] }),
    },
  };
}

/** True for a schema made by {@link streamOf}. */
export function isStreamSchema(schema: StandardSchemaV1 | undefined): schema is StreamSchema {
  return schema !== undefined && (schema as Partial<StreamSchema>)['~item'] !== undefined;
}

/** True for an AsyncIterable or a Web `ReadableStream` (what a stream may be given as). */
export function isStreamSource(value: unknown): value is StreamSource<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  return (
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (value as ReadableStream<unknown>).getReader === 'function'
  );
}

/**
 * An iterator over a stream source. A `ReadableStream` is read through its reader (not every
 * runtime makes it async-iterable); `return()` cancels it.
 */
export function streamIterator(source: StreamSource<unknown>): AsyncIterator<unknown> {
  if (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }
  const reader = (source as ReadableStream<unknown>).getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<unknown>>,
    return: async (): Promise<IteratorResult<unknown>> => {
      await reader.cancel();
      reader.releaseLock();
      return { done: true, value: undefined };
    },
  };
}
