import { type Context, context, propagation, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import type { TraceContext } from '@duplex/core';

/** Options of {@link otelTraceContext}. */
export interface OtelTraceContextOptions {
  /** Writes the trace context. @default the global propagator (`propagation`; W3C Trace Context once an SDK is registered) */
  propagator?: TextMapPropagator;
  /** The context to read. @default the active context when the call starts (`context.active()`) */
  context?: () => Context;
}

const setter: TextMapSetter<Partial<TraceContext>> = {
  set: (carrier, key, value) => {
    if (key === 'traceparent') carrier.traceparent = value;
    else if (key === 'tracestate') carrier.tracestate = value;
  },
};

/**
 * The client's `traceContext` option from OpenTelemetry: each call and subscription carries the
 * span active where it was made, so the server's span becomes its child (docs/observability.md).
 * @example
 * import { otelTraceContext } from '@duplex/client/otel';
 * const client = createClient<AppRouter>({ url, traceContext: otelTraceContext() });
 */
export function otelTraceContext(options: OtelTraceContextOptions = {}): () => TraceContext | undefined {
  const { propagator } = options;
  const active = options.context ?? (() => context.active());
  return () => {
    const carrier: Partial<TraceContext> = {};
    if (propagator) propagator.inject(active(), carrier, setter);
    else propagation.inject(active(), carrier, setter);
    if (carrier.traceparent === undefined) return undefined;
    return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
  };
}
