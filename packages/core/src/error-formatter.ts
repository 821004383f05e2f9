import type { DuplexError, ErrorShape } from './errors.js';
import type { ProcedureKind } from './procedure.js';

/** What an `errorFormatter` receives for each error sent to a client. */
export interface ErrorFormatterOptions<TContext> {
  /** The shape duplex would send: code, message (masked for unexpected errors), issues. */
  shape: ErrorShape;
  /** The error itself, with its `cause` (never sent unless you put it in the shape). */
  error: DuplexError;
  /** The procedure path, when the error belongs to a call or subscription. */
  path: string | undefined;
  kind: ProcedureKind | undefined;
  /** The connection's context, or undefined before `createContext` has settled. */
  ctx: TContext | undefined;
}

/**
 * Shapes the errors a server sends: return `{ ...shape, data }` to add `data` (plain JSON) that
 * clients read, typed, as `error.data`. `message` and `issues` may be changed too; `code` and
 * `stack` stay duplex's.
 * @example
 * const d = initDuplex.context<Ctx>().create({
 *   errorFormatter: ({ shape, error }) => ({ ...shape, data: { traceId: currentTraceId(), fields: fieldsOf(error) } }),
 * });
 */
export type ErrorFormatter<TContext, TShape extends ErrorShape> = (options: ErrorFormatterOptions<TContext>) => TShape;

/** Any error formatter, whatever its context (how a router stores it). */
// biome-ignore lint/suspicious/noExplicitAny: the widened form
export type AnyErrorFormatter = ErrorFormatter<any, ErrorShape>;
