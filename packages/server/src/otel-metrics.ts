import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';

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

/** The instruments of one `otelInstrumentation()`, created once and shared by its connections. */
export class DuplexMetrics {
  readonly connections: UpDownCounter;
  readonly callsActive: UpDownCounter;
  readonly callDuration: Histogram;
  readonly subscriptionsActive: UpDownCounter;
  readonly slowConsumerCuts: Counter;
  readonly reconnects: Counter;
  /** Byte totals, read by observable counters at collection time: a plain add per frame is cheaper than a counter's. */
  bytesReceived = 0;
  bytesSent = 0;

  constructor(meter: Meter) {
    this.connections = meter.createUpDownCounter(DUPLEX_METRICS.connections, { description: 'Open connections', unit: '{connection}' });
    this.callsActive = meter.createUpDownCounter(DUPLEX_METRICS.callsActive, { description: 'Queries and mutations in flight', unit: '{call}' });
    this.callDuration = meter.createHistogram(DUPLEX_METRICS.callDuration, {
      description: 'Duration of queries and mutations, from the call message to the result or error',
      unit: 's',
      advice: { explicitBucketBoundaries: CALL_DURATION_BUCKETS },
    });
    this.subscriptionsActive = meter.createUpDownCounter(DUPLEX_METRICS.subscriptionsActive, { description: 'Live subscriptions', unit: '{subscription}' });
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
}
