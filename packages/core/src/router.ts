import type { AnyErrorFormatter } from './error-formatter.js';
import type { AnyProcedure } from './procedure.js';

/** The shape a router is declared with: procedures and nested routers by name. */
export interface RouterRecord {
  [key: string]: AnyProcedure | AnyRouter;
}

/** Runtime description of a router: every procedure by its dotted path. */
export interface RouterDef {
  readonly procedures: ReadonlyMap<string, AnyProcedure>;
  /** Shapes every error sent to clients (`create({ errorFormatter })`); the root router's is used. */
  readonly errorFormatter?: AnyErrorFormatter | undefined;
}

/**
 * A router; `'~types'.record` drives client inference, `'~types'.errorData` types the `data` an
 * `errorFormatter` adds to errors (`undefined` without one).
 */
export interface Router<TContext, TRecord extends RouterRecord, TErrorData = undefined> {
  readonly '~types': { ctx: TContext; record: TRecord; errorData: TErrorData };
  readonly '~def': RouterDef;
}

/** Any router, whatever its types. */
// biome-ignore lint/suspicious/noExplicitAny: the widened form
export type AnyRouter = Router<any, any, any>;

/** True when `value` is a router (has a procedure map). */
export function isRouter(value: unknown): value is AnyRouter {
  return typeof value === 'object' && value !== null && '~def' in value && 'procedures' in (value as AnyRouter)['~def'];
}

/** True when `value` is a procedure. */
export function isProcedure(value: unknown): value is AnyProcedure {
  return typeof value === 'object' && value !== null && '~def' in value && 'handler' in (value as AnyProcedure)['~def'];
}

/** Flattens a record into `path → procedure`, nested routers joined with dots. */
export function flattenRouterRecord(record: RouterRecord): Map<string, AnyProcedure> {
  const out = new Map<string, AnyProcedure>();
  for (const [key, value] of Object.entries(record)) {
    if (key.includes('.')) throw new Error(`router key "${key}" must not contain a dot`);
    if (isProcedure(value)) out.set(key, value);
    else if (isRouter(value)) for (const [path, proc] of value['~def'].procedures) out.set(`${key}.${path}`, proc);
    else throw new Error(`router key "${key}" is neither a procedure nor a router`);
  }
  return out;
}
