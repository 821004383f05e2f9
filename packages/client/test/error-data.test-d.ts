import { type DuplexError, type InferDuplexError, type InferErrorData, isDuplexError } from '@duplex/client';
import { initDuplex } from '@duplex/server';
import { describe, expectTypeOf, it } from 'vitest';

const formatted = initDuplex.context<{ traceId: string }>().create({
  errorFormatter: ({ shape, ctx }) => ({ ...shape, data: { traceId: ctx?.traceId ?? null, retryInMs: 5 } }),
});
const formattedRouter = formatted.router({ hi: formatted.procedure.query(() => 'hi'), nested: formatted.router({}) });
type FormattedRouter = typeof formattedRouter;

const plain = initDuplex.create();
const plainRouter = plain.router({ hi: plain.procedure.query(() => 'hi') });
type PlainRouter = typeof plainRouter;

describe('typed error data', () => {
  it("infers the errorFormatter's data type from the router", () => {
    expectTypeOf<InferErrorData<FormattedRouter>>().toEqualTypeOf<{ traceId: string | null; retryInMs: number }>();
    expectTypeOf<InferErrorData<PlainRouter>>().toEqualTypeOf<undefined>();
  });

  it('narrows a caught value with isDuplexError<AppRouter>', () => {
    const err: unknown = new Error('x');
    if (isDuplexError<FormattedRouter>(err)) {
      expectTypeOf(err.data).toEqualTypeOf<{ traceId: string | null; retryInMs: number } | undefined>();
      expectTypeOf(err.code).toEqualTypeOf<DuplexError['code']>();
      expectTypeOf(err).toEqualTypeOf<InferDuplexError<FormattedRouter>>();
    }
    if (isDuplexError<PlainRouter>(err)) expectTypeOf(err.data).toEqualTypeOf<undefined>();
    if (isDuplexError(err)) expectTypeOf(err.data).toEqualTypeOf<unknown>();
  });

  it('types the formatter options from the context; the shape must stay a shape', () => {
    initDuplex.context<{ user: string }>().create({
      errorFormatter: ({ ctx, path, shape }) => {
        expectTypeOf(ctx).toEqualTypeOf<{ user: string } | undefined>();
        expectTypeOf(path).toEqualTypeOf<string | undefined>();
        return shape;
      },
    });
    initDuplex.create({
      // @ts-expect-error a formatter returns a shape (code and message), not bare data
      errorFormatter: () => ({ traceId: 'x' }),
    });
  });
});
