import {
  type Attributes,
  type Context,
  context,
  type MeterProvider,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { TraceContext } from '@duplex/core';
import { byteLength } from './byte-length.js';
import type { ConnectionInstrumentation, Instrumentation, RequestInfo, RequestInstrumentation } from './instrumentation.js';
import { type ActiveCount, DuplexMetrics } from './otel-metrics.js';

/** Options of {@link otelInstrumentation}. */
export interface OtelInstrumentationOptions {
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /** Where metrics go. @default the global meter provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Reads `call.tc` / `sub.tc`. @default the global propagator (`propagation`; the Node SDK sets W3C Trace Context) */
  propagator?: TextMapPropagator;
  /** Session ids remembered to count reconnects (a `hello` with a known one is a reconnect). @default 10_000 */
  maxRememberedSessions?: number;
}

/** Instrumentation scope name of the spans and metrics. */
export const OTEL_SCOPE = '@duplex/server';

/** Default of {@link OtelInstrumentationOptions.maxRememberedSessions}. */
export const DEFAULT_MAX_REMEMBERED_SESSIONS = 10_000;

const getter: TextMapGetter<TraceContext> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};

/**
 * OpenTelemetry for a duplex server: a span per call and per subscription (child of the client's
 * span when it sent `tc`), and the metrics of docs/observability.md. Pass it as `instrumentation`.
 * @example
 * import { otelInstrumentation } from '@duplex/server/otel';
 * const server = createWsServer({ router, instrumentation: otelInstrumentation() });
 */
export function otelInstrumentation(options: OtelInstrumentationOptions = {}): Instrumentation {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(OTEL_SCOPE);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(OTEL_SCOPE);
  const propagator = options.propagator;
  const shared: Shared = {
    tracer,
    metrics: new DuplexMetrics(meter),
    sessions: new RecentSessions(options.maxRememberedSessions ?? DEFAULT_MAX_REMEMBERED_SESSIONS),
    // With no client context, a new trace: the socket's own async context (the long-gone upgrade request) is no parent.
    parent: (carrier) =>
      carrier === undefined ? ROOT_CONTEXT : propagator ? propagator.extract(ROOT_CONTEXT, carrier, getter) : propagation.extract(ROOT_CONTEXT, carrier, getter),
  };
  return {
    connection: ({ connectionId }) => new OtelConnection(shared, connectionId),
    slowConsumerCut: () => shared.metrics.slowConsumerCuts.add(1),
  };
}

interface Shared {
  tracer: ReturnType<TracerProvider['getTracer']>;
  metrics: DuplexMetrics;
  sessions: RecentSessions;
  parent(carrier: TraceContext | undefined): Context;
}

/** Session ids seen lately, oldest forgotten first, so a reconnect can be told from a first visit. */
class RecentSessions {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  /** Remembers `sid`; true when it was already known. */
  visit(sid: string): boolean {
    if (this.seen.delete(sid)) {
      this.seen.add(sid);
      return true;
    }
    this.seen.add(sid);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }
}

class OtelConnection implements ConnectionInstrumentation {
  private open = true;
  constructor(
    private readonly shared: Shared,
    readonly connectionId: string,
  ) {
    shared.metrics.connections++;
  }

  received(frame: string | Uint8Array): void {
    this.shared.metrics.bytesReceived += byteLength(frame);
  }

  sent(frame: string | Uint8Array): void {
    this.shared.metrics.bytesSent += byteLength(frame);
  }

  hello({ sid, seq }: { sid: string | undefined; seq: number | undefined }): void {
    const known = sid !== undefined && this.shared.sessions.visit(sid);
    if (known || (seq ?? 0) > 0) this.shared.metrics.reconnects.add(1);
  }

  request(info: RequestInfo): RequestInstrumentation {
    return new OtelRequest(this.shared, this.connectionId, info);
  }

  closed(): void {
    if (!this.open) return;
    this.open = false;
    this.shared.metrics.connections--;
  }
}

class OtelRequest implements RequestInstrumentation {
  private readonly span: Span;
  private readonly context: Context;
  private readonly started = performance.now();
  private readonly active: ActiveCount;
  private bytesOut = 0;
  private frames = 0;
  private ended = false;

  constructor(
    private readonly shared: Shared,
    connectionId: string,
    private readonly info: RequestInfo,
  ) {
    const attributes: Attributes = {
      'rpc.system': 'duplex',
      'rpc.method': info.path,
      'duplex.kind': info.kind,
      'duplex.connection.id': connectionId,
      'duplex.request.id': info.id,
    };
    if (info.inputBytes !== undefined) attributes['duplex.request.bytes'] = info.inputBytes;
    const parent = shared.parent(info.traceContext);
    this.span = shared.tracer.startSpan(info.path, { kind: SpanKind.SERVER, attributes }, parent);
    this.context = trace.setSpan(parent, this.span);
    this.active = shared.metrics.activeCount(info.kind, info.path);
    this.active.count++;
  }

  run<TArg, TResult>(fn: (arg: TArg) => TResult, arg: TArg): TResult {
    return context.with(this.context, fn, undefined, arg);
  }

  iterator<TValue>(iterator: AsyncIterator<TValue>): AsyncIterator<TValue> {
    return new TracedIterator(iterator, this.context);
  }

  sent(frame: string | Uint8Array): void {
    this.bytesOut += byteLength(frame);
    this.frames++;
  }

  end(error?: { code: string; message: string }): void {
    if (this.ended) return;
    this.ended = true;
    const { span, info, shared } = this;
    const outcome = error === undefined ? 'ok' : error.code === 'CANCELLED' ? 'cancelled' : 'error';
    span.setAttribute('duplex.outcome', outcome);
    span.setAttribute('duplex.response.bytes', this.bytesOut);
    if (info.kind === 'subscription') span.setAttribute('duplex.subscription.events', this.frames);
    if (error) {
      span.setAttribute('duplex.error.code', error.code);
      // A client that stops its own call is no server fault: the span keeps an unset status.
      if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.code}: ${error.message}` });
    }
    span.end();
    this.active.count--;
    if (info.kind === 'subscription') return;
    const attributes: Attributes = { ...this.active.attributes, 'duplex.outcome': outcome };
    if (error) attributes['error.type'] = error.code;
    shared.metrics.callDuration.record((performance.now() - this.started) / 1000, attributes);
  }
}

/** Pulls a subscription's iterator inside the request's context, so the generator's code sees its span. */
class TracedIterator<TValue> implements AsyncIterator<TValue> {
  constructor(
    private readonly inner: AsyncIterator<TValue>,
    private readonly context: Context,
  ) {}

  next(): Promise<IteratorResult<TValue>> {
    return context.with(this.context, () => this.inner.next());
  }

  return(value?: TValue | PromiseLike<TValue>): Promise<IteratorResult<TValue>> {
    if (!this.inner.return) return Promise.resolve({ done: true, value: undefined as TValue });
    return context.with(this.context, () => (this.inner.return as NonNullable<AsyncIterator<TValue>['return']>)(value));
  }
}
