import type { Instrumentation } from '@duplex/server';

/** A server-side OpenTelemetry SDK as an app would run it, exporting nowhere (spans are dropped once ended). */
export interface BenchOtel {
  instrumentation: Instrumentation;
  stop(): Promise<void>;
}

/**
 * Starts the SDK for the `duplex-otel` system: a tracer provider with a simple processor and an
 * exporter that drops spans, a meter provider with a reader that is never collected, and the
 * AsyncLocalStorage context manager. Loaded on demand, so other systems pay nothing for it.
 */
export async function startBenchOtel(): Promise<BenchOtel> {
  const [{ context }, { AsyncLocalStorageContextManager }, { BasicTracerProvider, SimpleSpanProcessor }, { MeterProvider, MetricReader }, { otelInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-metrics'),
      import('@duplex/server/otel'),
    ]);
  class IdleReader extends MetricReader {
    protected override onForceFlush(): Promise<void> {
      return Promise.resolve();
    }
    protected override onShutdown(): Promise<void> {
      return Promise.resolve();
    }
  }
  const dropAll = {
    export: (_spans: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
  };
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(dropAll)] });
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return {
    instrumentation: otelInstrumentation({ tracerProvider, meterProvider }),
    async stop() {
      context.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
