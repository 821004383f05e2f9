import type { TraceContext, WireTraceContext } from '@duplex/core';

/**
 * The `tc` of a call or subscription starting now (protocol.md §4.1), from the `traceContext`
 * option. Not validated here: the server ignores a malformed one, and the bundle stays small.
 */
export function wireTraceContext(read: (() => TraceContext | undefined) | undefined): WireTraceContext | undefined {
  const context = read?.();
  return context && (context.tracestate ? { tp: context.traceparent, ts: context.tracestate } : { tp: context.traceparent });
}
