import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';

/** Names of the metrics `otelInstrumentation()` records (docs/observability.md lists their attributes). */
export const DUPLEX_METRICS = {
  connections: 'duplex.server.connections',
  callsActive: 'duplex.server.calls.active',
  callDuration: 'duplex.server.call.duration',
  subscriptionsActive: 'duplex.server.subscriptions.active',
  bytesReceived: 'duplex.server.received.bytes',
  bytesSent: 'duplex.server.sent.bytes',
  slowConsumerCuts: 'duplex.server.slow_consumer.cuts',
  reconnects: 'duplex.server.reconnects',
} as const;

/** Bucket bounds of the call duration histogram, in seconds: 0.5 ms to 10 s. */
export const CALL_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How many calls or subscriptions of one procedure are live, with the attributes they are reported under. */
export interface ActiveCount {
  readonly attributes: Attributes;
  count: number;
}

/**
 * The instruments of one `otelInstrumentation()`, created once and shared by its connections.
 * Gauges and byte totals are plain numbers read by observable instruments at collection time: an
 * SDK counter hashes its attributes on every add, a measurable share of a small call's cost.
 */
export class DuplexMetrics {
  readonly callDuration: Histogram;
  readonly slowConsumerCuts: Counter;
  readonly reconnects: Counter;
  connections = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** Live calls and subscriptions by kind and path (an entry stays once created: paths are the router's). */
  private readonly active = new Map<string, ActiveCount>();

  constructor(meter: Meter) {
    meter
      .createObservableUpDownCounter(DUPLEX_METRICS.connections, { description: 'Open connections', unit: '{connection}' })
      .addCallback((result) => result.observe(this.connections));
    meter
      .createObservableUpDownCounter(DUPLEX_METRICS.callsActive, { description: 'Queries and mutations in flight', unit: '{call}' })
      .addCallback((result) => this.observeActive(result, false));
    meter
      .createObservableUpDownCounter(DUPLEX_METRICS.subscriptionsActive, { description: 'Live subscriptions', unit: '{subscription}' })
      .addCallback((result) => this.observeActive(result, true));
    this.callDuration = meter.createHistogram(DUPLEX_METRICS.callDuration, {
      description: 'Duration of queries and mutations, from the call message to the result or error',
      unit: 's',
      advice: { explicitBucketBoundaries: CALL_DURATION_BUCKETS },
    });
    this.slowConsumerCuts = meter.createCounter(DUPLEX_METRICS.slowConsumerCuts, {
      description: 'Connections closed because the client stopped reading',
      unit: '{connection}',
    });
    this.reconnects = meter.createCounter(DUPLEX_METRICS.reconnects, {
      description: 'Connections whose hello resumes an earlier session (a known session id, or seq > 0)',
      unit: '{connection}',
    });
    meter
      .createObservableCounter(DUPLEX_METRICS.bytesReceived, { description: 'Bytes of frames received', unit: 'By' })
      .addCallback((result) => result.observe(this.bytesReceived));
    meter
      .createObservableCounter(DUPLEX_METRICS.bytesSent, { description: 'Bytes of frames sent', unit: 'By' })
      .addCallback((result) => result.observe(this.bytesSent));
  }

  /** The live count of `kind` calls to `path`; the caller adds and removes itself. */
  activeCount(kind: 'query' | 'mutation' | 'subscription', path: string): ActiveCount {
    const key = `${kind} ${path}`;
    let entry = this.active.get(key);
    if (!entry) {
      entry = { attributes: { 'rpc.method': path, 'duplex.kind': kind }, count: 0 };
      this.active.set(key, entry);
    }
    return entry;
  }

  private observeActive(result: ObservableResult, subscriptions: boolean): void {
    for (const entry of this.active.values()) {
      if ((entry.attributes['duplex.kind'] === 'subscription') === subscriptions) result.observe(entry.count, entry.attributes);
    }
  }
}
