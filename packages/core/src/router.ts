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

/**
 * Names the client object uses for itself, so no router key may take them: `then` (a proxy with a
 * `then` looks like a promise to `await`), `state`, `on`, `close` and `reauthenticate`. They are
 * refused at every level, so any router can be mounted at the root.
 */
export const RESERVED_ROUTER_KEYS = ['then', 'state', 'on', 'close', 'reauthenticate'] as const;

/** One of {@link RESERVED_ROUTER_KEYS}. */
export type ReservedRouterKey = (typeof RESERVED_ROUTER_KEYS)[number];

/** The type a reserved key must have, so the compiler's message names the problem. */
export type ReservedKeyError<TKey extends ReservedRouterKey> =
  `"${TKey}" is reserved by the duplex client (reserved: then, state, on, close, reauthenticate); rename this procedure or router`;

/**
 * Added to a router record's constraint: a reserved key is a compile error naming the key. A
 * fixed mapped type, so checking it costs the same for every router.
 */
export type ReservedKeyGuard = { readonly [TKey in ReservedRouterKey]?: ReservedKeyError<TKey> };

const reserved: ReadonlySet<string> = new Set(RESERVED_ROUTER_KEYS);

/** Flattens a record into `path → procedure`, nested routers joined with dots. */
export function flattenRouterRecord(record: RouterRecord): Map<string, AnyProcedure> {
  const out = new Map<string, AnyProcedure>();
  for (const [key, value] of Object.entries(record)) {
    if (reserved.has(key)) {
      throw new Error(`router key "${key}" is reserved by the duplex client; rename it (reserved: ${RESERVED_ROUTER_KEYS.join(', ')})`);
    }
    if (key.includes('.')) throw new Error(`router key "${key}" must not contain a dot`);
    if (isProcedure(value)) out.set(key, value);
    else if (isRouter(value)) for (const [path, proc] of value['~def'].procedures) out.set(`${key}.${path}`, proc);
    else throw new Error(`router key "${key}" is neither a procedure nor a router`);
  }
  return out;
}
