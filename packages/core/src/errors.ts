import type { InferDuplexError } from './infer.js';
import type { AnyRouter, Router, RouterRecord } from './router.js';

/** Every error code duplex sends over the wire. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'TIMEOUT',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_REQUESTS',
  'CANCELLED',
  'INTERNAL_SERVER_ERROR',
  'NOT_IMPLEMENTED',
  'SERVICE_UNAVAILABLE',
] as const;

/** One of the typed error codes, e.g. `'BAD_REQUEST'`. */
export type ErrorCode = (typeof ERROR_CODES)[number];

const codeSet: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `value` is one of the {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && codeSet.has(value);
}

/** One validation problem, in the Standard Schema issue shape (zod issues fit it). */
export interface ValidationIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  readonly [key: string]: unknown;
}

/** Options of {@link DuplexError}. */
export interface DuplexErrorOptions {
  code: ErrorCode;
  message?: string;
  cause?: unknown;
  /** Validation issues; sent to the client for `BAD_REQUEST` only. */
  issues?: readonly ValidationIssue[];
  /** True when the call may be retried safely (set on connection loss). */
  retryable?: boolean;
}

/**
 * The one error type of duplex, thrown by handlers and received by callers.
 * @example throw new DuplexError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
 */
export class DuplexError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly ValidationIssue[] | undefined;
  readonly retryable: boolean;
  /**
   * On the client: the `data` the server's `errorFormatter` added to this error (plain JSON);
   * undefined otherwise. Narrow its type with {@link isDuplexError}.
   */
  readonly data: unknown = undefined;

  constructor(options: DuplexErrorOptions) {
    super(options.message ?? options.code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DuplexError';
    this.code = options.code;
    this.issues = options.issues;
    this.retryable = options.retryable ?? false;
  }

  /** Wraps any thrown value: a DuplexError stays itself, anything else becomes `INTERNAL_SERVER_ERROR`. */
  static from(cause: unknown, fallback: ErrorCode = 'INTERNAL_SERVER_ERROR'): DuplexError {
    if (cause instanceof DuplexError) return cause;
    const message = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : fallback;
    return new DuplexError({ code: fallback, message, cause });
  }
}

/** The error object as it travels on the wire (see docs/protocol.md). */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  issues?: ValidationIssue[];
  /** `true` when sending the same call again may succeed; absent means `false`. */
  retryable?: boolean;
  /** What the server's `errorFormatter` added (plain JSON); absent without one. */
  data?: unknown;
  /** Present only when the server runs with `exposeErrors: true`. */
  stack?: string;
}

/**
 * True when `value` is a {@link DuplexError}; with the router's type, its `data` is typed as what
 * that router's `errorFormatter` returns.
 * @example if (isDuplexError<AppRouter>(err) && err.data?.fields) showFieldErrors(err.data.fields);
 */
export function isDuplexError<TRouter extends AnyRouter = Router<unknown, RouterRecord, unknown>>(
  value: unknown,
): value is InferDuplexError<TRouter> {
  return value instanceof DuplexError;
}
