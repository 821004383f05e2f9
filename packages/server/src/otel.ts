export {
  DEFAULT_MAX_REMEMBERED_SESSIONS,
  OTEL_SCOPE,
  type OtelInstrumentationOptions,
  otelInstrumentation,
} from './otel-instrumentation.js';
export { CALL_DURATION_BUCKETS, DUPLEX_METRICS } from './otel-metrics.js';
