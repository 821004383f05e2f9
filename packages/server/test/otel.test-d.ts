import type { ClientOptions, TraceContext } from '@duplex/client';
import { otelTraceContext } from '@duplex/client/otel';
import type { Instrumentation, RequestInstrumentation, WsServerOptions } from '@duplex/server';
import type { FetchHandlerOptions } from '@duplex/server/fetch';
import { otelInstrumentation, type OtelInstrumentationOptions } from '@duplex/server/otel';
import { describe, expectTypeOf, it } from 'vitest';

describe('OpenTelemetry option types', () => {
  it('otelInstrumentation() fits the instrumentation option of every adapter', () => {
    expectTypeOf(otelInstrumentation()).toEqualTypeOf<Instrumentation>();
    expectTypeOf(otelInstrumentation()).toMatchTypeOf<NonNullable<WsServerOptions<never>['instrumentation']>>();
    expectTypeOf(otelInstrumentation()).toMatchTypeOf<NonNullable<FetchHandlerOptions<never>['instrumentation']>>();
    expectTypeOf<OtelInstrumentationOptions['maxRememberedSessions']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error a tracer provider, not a tracer name
    otelInstrumentation({ tracerProvider: 'duplex' });
  });

  it('otelTraceContext() fits the client traceContext option', () => {
    expectTypeOf(otelTraceContext()).toEqualTypeOf<() => TraceContext | undefined>();
    expectTypeOf(otelTraceContext()).toMatchTypeOf<NonNullable<ClientOptions['traceContext']>>();
    expectTypeOf<TraceContext>().toEqualTypeOf<{ traceparent: string; tracestate?: string }>();
  });

  it('run passes its argument through and keeps the result type', () => {
    expectTypeOf<RequestInstrumentation['run']>().toBeFunction();
    const request = {} as RequestInstrumentation;
    expectTypeOf(request.run((n: number) => `${n}`, 1)).toEqualTypeOf<string>();
    // @ts-expect-error the argument must fit the function
    request.run((n: number) => n, 'one');
  });
});
