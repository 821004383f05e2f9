/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the caller's `traceparent` and, when
 * present, its `tracestate`, as an application or `@duplex/client/otel` hands them to the client.
 */
export interface TraceContext {
  /** The `traceparent` value, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. */
  traceparent: string;
  /** The `tracestate` value (vendor entries), when the caller has one. */
  tracestate?: string;
}

/** The wire form of a {@link TraceContext}, `call.tc` and `sub.tc` (protocol.md §4.1). */
export interface WireTraceContext {
  tp: string;
  ts?: string;
}

/** Longest `tc.tp` (a version-00 traceparent is 55 characters; later versions may append fields). */
export const MAX_TRACEPARENT_LENGTH = 128;
/** Longest `tc.ts` (the W3C spec asks propagators to pass on at least 512 characters). */
export const MAX_TRACESTATE_LENGTH = 512;

function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TRACEPARENT_LENGTH;
}

function isTracestate(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TRACESTATE_LENGTH;
}

/**
 * Reads `call.tc` / `sub.tc`. A value of the wrong shape or length yields undefined and a bad
 * `ts` alone is dropped: as the W3C spec asks of a bad `traceparent`, the server then starts a new
 * trace rather than refusing the call (the format inside `tp` is checked by the propagator).
 */
export function parseWireTraceContext(raw: unknown): WireTraceContext | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { tp, ts } = raw as { tp?: unknown; ts?: unknown };
  if (!isTraceparent(tp)) return undefined;
  return isTracestate(ts) ? { tp, ts } : { tp };
}

/** The wire form of a trace context, or undefined when the server would ignore it anyway. */
export function toWireTraceContext(context: TraceContext | undefined): WireTraceContext | undefined {
  if (!context || !isTraceparent(context.traceparent)) return undefined;
  return isTracestate(context.tracestate) ? { tp: context.traceparent, ts: context.tracestate } : { tp: context.traceparent };
}

/** The trace context a wire `tc` carries. */
export function fromWireTraceContext(wire: WireTraceContext): TraceContext {
  return wire.ts === undefined ? { traceparent: wire.tp } : { traceparent: wire.tp, tracestate: wire.ts };
}
