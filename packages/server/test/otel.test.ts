import type { Socket } from 'node:net';
import { context, type Context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type DataPoint, type Histogram, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otelTraceContext } from '@duplex/client/otel';
import { encodeBinaryFrame, encodeFrameRecords } from '@duplex/core';
import { DuplexError, initDuplex } from '@duplex/server';
import { createFetchHandler } from '@duplex/server/fetch';
import { DUPLEX_METRICS, otelInstrumentation } from '@duplex/server/otel';
import { deferred, startServer } from '@duplex/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openRaw, type RawSocket } from './raw-socket.js';

/** A reader collected by hand: no export timer, the test reads the values when it wants them. */
class TestReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = tracerProvider.getTracer('test-app');
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const propagator = new W3CTraceContextPropagator();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
afterEach(() => exporter.reset());

const d = initDuplex.context<{ user: string | null }>().create();
const gate = { started: deferred(), release: deferred() };
/** Ids of the span active where user code ran, by what it saw. */
const seen = { handler: '', child: '', generator: '' };
const activeSpanId = () => trace.getActiveSpan()?.spanContext().spanId ?? '';

const router = d.router({
  greet: d.procedure.input(z.object({ name: z.string() })).query(async ({ input }) => {
    await Promise.resolve();
    seen.handler = activeSpanId();
    // User code's own span (a database call, a pub/sub publish) becomes a child of the call's span.
    tracer.startActiveSpan('db.lookup', (span: Span) => {
      seen.child = span.spanContext().spanId;
      span.end();
    });
    return `Hello ${input.name}`;
  }),
  secret: d.procedure.query(() => {
    throw new DuplexError({ code: 'FORBIDDEN', message: 'not yours' });
  }),
  slow: d.procedure.query(async () => {
    gate.started.resolve();
    await gate.release.promise;
    return 'done';
  }),
  ticks: d.procedure.input(z.object({ count: z.number() })).subscription(async function* ({ input }) {
    for (let i = 0; i < input.count; i++) {
      await Promise.resolve();
      seen.generator = activeSpanId();
      yield i;
    }
    await new Promise(() => {}); // stays live until unsubscribed
  }),
  blob: d.procedure.input(z.object({ bytes: z.number().int().max(4_000_000) })).query(({ input }) => 'x'.repeat(input.bytes)),
});
type Router = typeof router;

const instrumentation = otelInstrumentation({ tracerProvider, meterProvider, propagator });
const options = { router, createContext: () => ({ user: null }), instrumentation };

function serverSpans(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER && span.name === name);
}

async function collect(): Promise<MetricData[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.filter((scope) => scope.scope.name === '@duplex/server').flatMap((scope) => scope.metrics);
}

/** The sum of a metric's points whose attributes include `match`. */
function total(all: MetricData[], name: string, match: Record<string, string> = {}): number {
  const metric = all.find((m) => m.descriptor.name === name);
  if (!metric) return 0;
  let sum = 0;
  for (const point of metric.dataPoints as DataPoint<number>[]) {
    if (Object.entries(match).every(([key, value]) => point.attributes[key] === value)) sum += point.value;
  }
  return sum;
}

function histogramCount(all: MetricData[], name: string, match: Record<string, string>): number {
  const metric = all.find((m) => m.descriptor.name === name);
  let count = 0;
  for (const point of (metric?.dataPoints ?? []) as DataPoint<Histogram>[]) {
    if (Object.entries(match).every(([key, value]) => point.attributes[key] === value)) count += point.value.count;
  }
  return count;
}

function tcp(raw: RawSocket): Socket {
  return (raw.ws as unknown as { _socket: Socket })._socket;
}

describe('OpenTelemetry traces over real sockets', () => {
  it('makes the server span of a traced call a child of the client span, and runs the handler inside it', async () => {
    await using srv = await startServer(router, options);
    const client = srv.client<Router>({ traceContext: otelTraceContext({ propagator }) });
    const clientSpan = tracer.startSpan('ui.click', { kind: SpanKind.CLIENT });
    const ctx: Context = trace.setSpan(context.active(), clientSpan);
    expect(await context.with(ctx, () => client.greet.query({ name: 'Ada' }))).toBe('Hello Ada');
    clientSpan.end();

    const [span] = serverSpans('greet');
    expect(span).toBeDefined();
    if (!span) return;
    expect(span.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
    expect(span.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(span.attributes).toMatchObject({
      'rpc.system': 'duplex',
      'rpc.method': 'greet',
      'duplex.kind': 'query',
      'duplex.outcome': 'ok',
      'duplex.request.id': expect.any(Number),
      'duplex.connection.id': expect.any(String),
    });
    // {"json":{"name":"Ada"}} as it arrived; "Hello Ada" in its result frame.
    expect(span.attributes['duplex.request.bytes']).toBe('{"json":{"name":"Ada"}}'.length);
    expect(span.attributes['duplex.response.bytes']).toBe('{"t":"result","id":0,"data":{"json":"Hello Ada"}}'.length);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(seen.handler).toBe(span.spanContext().spanId);
    const child = exporter.getFinishedSpans().find((s) => s.name === 'db.lookup');
    expect(child?.spanContext().spanId).toBe(seen.child);
    expect(child?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it('starts a new trace for a call without trace context, and for one whose tc is malformed', async () => {
    await using srv = await startServer(router, options);
    const client = srv.client<Router>();
    expect(await client.greet.query({ name: 'Bo' })).toBe('Hello Bo');
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'greet', input: { name: 'Cy' }, tc: { tp: 'not-a-traceparent' } });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'greet', input: { name: 'Di' }, tc: { tp: 'x'.repeat(300) } });
    expect(await raw.until((m) => m.t === 'result' && m.id === 1)).toMatchObject({ data: 'Hello Cy' });
    expect(await raw.until((m) => m.t === 'result' && m.id === 2)).toMatchObject({ data: 'Hello Di' });
    raw.close();
    const spans = serverSpans('greet');
    expect(spans).toHaveLength(3);
    for (const span of spans) expect(span.parentSpanContext).toBeUndefined();
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(3);
  });

  it('records the error code and an error status, and a cancelled call as cancelled', async () => {
    await using srv = await startServer(router, options);
    const client = srv.client<Router>();
    await expect(client.secret.query()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const [failed] = serverSpans('secret');
    expect(failed?.attributes).toMatchObject({ 'duplex.outcome': 'error', 'duplex.error.code': 'FORBIDDEN' });
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'FORBIDDEN: not yours' });

    const abort = new AbortController();
    gate.started = deferred();
    gate.release = deferred();
    const pending = client.slow.query(undefined, { signal: abort.signal });
    await gate.started.promise;
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => serverSpans('slow').length).toBe(1);
    gate.release.resolve();
    const [cancelled] = serverSpans('slow');
    expect(cancelled?.attributes).toMatchObject({ 'duplex.outcome': 'cancelled', 'duplex.error.code': 'CANCELLED' });
    expect(cancelled?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('gives a subscription one span, a child of the subscriber, that the generator runs in', async () => {
    await using srv = await startServer(router, options);
    const client = srv.client<Router>({ traceContext: otelTraceContext({ propagator }) });
    const parent = tracer.startSpan('page.open');
    const values: number[] = [];
    const three = deferred();
    const sub = context.with(trace.setSpan(context.active(), parent), () =>
      client.ticks.subscribe(
        { count: 3 },
        {
          onData: (value) => {
            values.push(value);
            if (values.length === 3) three.resolve();
          },
        },
      ),
    );
    await three.promise;
    parent.end();
    sub.unsubscribe();
    await expect.poll(() => serverSpans('ticks').length).toBe(1);
    const [span] = serverSpans('ticks');
    expect(values).toEqual([0, 1, 2]);
    expect(span?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(seen.generator).toBe(span?.spanContext().spanId);
    expect(span?.attributes).toMatchObject({ 'duplex.kind': 'subscription', 'duplex.outcome': 'cancelled', 'duplex.subscription.events': 3 });
  });
});

describe('OpenTelemetry over plain HTTP (Fetch handler)', () => {
  it('reads the traceparent header as the parent of the call span', async () => {
    const handler = createFetchHandler({ router, createContext: () => ({ user: null }), instrumentation });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const input = encodeURIComponent(JSON.stringify({ name: 'Ada' }));
    const response = await handler.fetch(new Request(`http://127.0.0.1/greet?codec=json&input=${input}`, { headers: { traceparent } }));
    expect(await response.json()).toMatchObject({ t: 'result', data: 'Hello Ada' });
    const [span] = serverSpans('greet');
    expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    const preflight = await handler.fetch(new Request('http://127.0.0.1/greet', { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1' } }));
    expect(preflight.headers.get('access-control-allow-headers')).toContain('traceparent');
    await handler.close();
  });
  it('gives the traceparent header to calls sent as binary frame records too', async () => {
    const handler = createFetchHandler({ router, createContext: () => ({ user: null }), instrumentation });
    const traceparent = '00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-01';
    const frame = encodeBinaryFrame('{"t":"call","id":1,"kind":"query","path":"greet","input":{"name":"Bo"}}', []);
    const headers = { traceparent, 'Content-Type': 'application/x-duplex-frames' };
    const response = await handler.fetch(new Request('http://127.0.0.1/?codec=json', { method: 'POST', body: encodeFrameRecords([frame]), headers }));
    expect(await response.json()).toEqual([{ t: 'result', id: 1, data: 'Hello Bo' }]);
    const span = serverSpans('greet').find((one) => one.spanContext().traceId === '5bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.parentSpanContext?.spanId).toBe('10f067aa0ba902b7');
    await handler.close();
  });
});

describe('OpenTelemetry metrics over real sockets', () => {
  it('counts connections, calls in flight, durations by path and outcome, subscriptions and bytes', async () => {
    const before = await collect();
    await using srv = await startServer(router, options);
    const client = srv.client<Router>();
    await client.greet.query({ name: 'Ada' });
    await expect(client.secret.query()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    gate.started = deferred();
    gate.release = deferred();
    const pending = client.slow.query();
    await gate.started.promise;
    const live = deferred();
    const sub = client.ticks.subscribe({ count: 1 }, { onData: () => live.resolve() });
    await live.promise;

    const during = await collect();
    const delta = (name: string, match?: Record<string, string>) => total(during, name, match) - total(before, name, match);
    expect(delta(DUPLEX_METRICS.connections)).toBe(1);
    expect(delta(DUPLEX_METRICS.callsActive, { 'rpc.method': 'slow' })).toBe(1);
    expect(delta(DUPLEX_METRICS.subscriptionsActive, { 'rpc.method': 'ticks' })).toBe(1);
    const count = (all: MetricData[], match: Record<string, string>) => histogramCount(all, DUPLEX_METRICS.callDuration, match);
    expect(count(during, { 'rpc.method': 'greet', 'duplex.outcome': 'ok' }) - count(before, { 'rpc.method': 'greet', 'duplex.outcome': 'ok' })).toBe(1);
    expect(count(during, { 'rpc.method': 'secret', 'error.type': 'FORBIDDEN' }) - count(before, { 'rpc.method': 'secret', 'error.type': 'FORBIDDEN' })).toBe(1);
    expect(delta(DUPLEX_METRICS.bytesReceived)).toBeGreaterThan(100);
    expect(delta(DUPLEX_METRICS.bytesSent)).toBeGreaterThan(100);

    gate.release.resolve();
    expect(await pending).toBe('done');
    sub.unsubscribe();
    await client.close();
    await expect.poll(() => srv.server.stats().connections).toBe(0);
    const after = await collect();
    expect(total(after, DUPLEX_METRICS.connections)).toBe(total(before, DUPLEX_METRICS.connections));
    expect(total(after, DUPLEX_METRICS.callsActive)).toBe(total(before, DUPLEX_METRICS.callsActive));
    expect(total(after, DUPLEX_METRICS.subscriptionsActive)).toBe(total(before, DUPLEX_METRICS.subscriptionsActive));
  });

  it('counts bytes exactly as the frames went over the wire', async () => {
    await using srv = await startServer(router, options);
    const raw = await openRaw(srv.url);
    const before = await collect();
    const hello = '{"t":"hello","v":1,"codec":"json"}';
    raw.send(hello);
    const ready = await raw.next();
    const call = '{"t":"call","id":1,"kind":"query","path":"greet","input":{"name":"Zoë"}}';
    raw.send(call);
    await raw.until((m) => m.t === 'result');
    const after = await collect();
    const received = total(after, DUPLEX_METRICS.bytesReceived) - total(before, DUPLEX_METRICS.bytesReceived);
    expect(received).toBe(Buffer.byteLength(hello) + Buffer.byteLength(call));
    const sent = total(after, DUPLEX_METRICS.bytesSent) - total(before, DUPLEX_METRICS.bytesSent);
    expect(sent).toBe(Buffer.byteLength(JSON.stringify(ready)) + Buffer.byteLength('{"t":"result","id":1,"data":"Hello Zoë"}'));
    raw.close();
  });

  it('counts a hello with a known session id or seq > 0 as a reconnect', async () => {
    await using srv = await startServer(router, options);
    const before = total(await collect(), DUPLEX_METRICS.reconnects);
    const sid = `session-${'r'.repeat(16)}`;
    const first = await openRaw(srv.url);
    await first.hello(undefined, { sid });
    expect(total(await collect(), DUPLEX_METRICS.reconnects) - before).toBe(0);
    const again = await openRaw(srv.url);
    await again.hello(undefined, { sid });
    const elsewhere = await openRaw(srv.url);
    await elsewhere.hello(undefined, { sid: `other-${'s'.repeat(16)}`, seq: 4 });
    expect(total(await collect(), DUPLEX_METRICS.reconnects) - before).toBe(2);
    for (const raw of [first, again, elsewhere]) raw.close();
  });

  it('counts a slow-consumer cut', async () => {
    await using srv = await startServer(router, { ...options, highWaterMarkBytes: 256 * 1024, maxBufferedBytes: 1024 * 1024 });
    const before = total(await collect(), DUPLEX_METRICS.slowConsumerCuts);
    const raw = await openRaw(srv.url);
    await raw.hello();
    tcp(raw).pause();
    for (let id = 1; id <= 64; id++) raw.send({ t: 'call', id, kind: 'query', path: 'blob', input: { bytes: 512 * 1024 } });
    await expect.poll(() => srv.server.stats().connections, { timeout: 10_000 }).toBe(0);
    expect(total(await collect(), DUPLEX_METRICS.slowConsumerCuts) - before).toBe(1);
    tcp(raw).resume();
    await raw.closed;
  });
});
