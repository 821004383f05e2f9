import { type AnyErrorFormatter, DuplexError, type ErrorShape, type ProcedureKind } from '@duplex/core';

/** What {@link formatErrorShape} needs besides the shape. */
export interface FormatErrorInfo {
  error: DuplexError;
  path: string | undefined;
  kind: ProcedureKind | undefined;
  ctx: unknown;
  /** Told when the formatter throws or returns data that is not JSON; the default shape is sent. */
  onFailure: (error: DuplexError) => void;
}

/**
 * Runs the router's `errorFormatter` on a shape about to be sent. The formatter may change
 * `message` and `issues` and add `data`; `code`, `retryable` and `stack` stay what duplex set, so a
 * formatter cannot change how clients handle the error or leak a stack without `exposeErrors`.
 */
export function formatErrorShape(formatter: AnyErrorFormatter, shape: ErrorShape, info: FormatErrorInfo): ErrorShape {
  try {
    const { error, path, kind, ctx } = info;
    const formatted: Partial<ErrorShape> | undefined = formatter({ shape: { ...shape }, error, path, kind, ctx });
    // Everything not listed here (code, retryable, stack) stays what duplex set.
    const out: ErrorShape = { ...shape };
    if (typeof formatted?.message === 'string') out.message = formatted.message;
    if (Array.isArray(formatted?.issues)) out.issues = formatted.issues;
    if (formatted?.data !== undefined) {
      // Error messages travel as plain JSON: a value it cannot hold (a BigInt, a cycle) must fail
      // here, where the default shape can still be sent, not when the frame is written.
      JSON.stringify(formatted.data);
      out.data = formatted.data;
    }
    return out;
  } catch (cause) {
    info.onFailure(new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'errorFormatter failed', cause }));
    return shape;
  }
}
