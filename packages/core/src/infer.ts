import type { DuplexError } from './errors.js';
import type { AnyProcedure, ProcedureKind } from './procedure.js';
import type { AnyRouter, RouterRecord } from './router.js';

/**
 * The client-side input type of a procedure (the schema's input type).
 * @example type In = InferProcedureInput<AppRouter['~types']['record']['greet']>; // { name: string }
 */
export type InferProcedureInput<TProcedure extends AnyProcedure> = TProcedure['~types']['input'];

/**
 * What a call resolves to, or the data type of each subscription event.
 * @example type Out = InferProcedureOutput<AppRouter['~types']['record']['greet']>; // string
 */
export type InferProcedureOutput<TProcedure extends AnyProcedure> = TProcedure['~types']['output'];

/** The kind of a procedure: `'query' | 'mutation' | 'subscription'`. */
export type InferProcedureKind<TProcedure extends AnyProcedure> = TProcedure['~types']['kind'];

/** The root context type a router expects from `createContext`. */
export type InferRouterContext<TRouter extends AnyRouter> = TRouter['~types']['ctx'];

/**
 * The type of the `data` a router's `errorFormatter` adds to errors (`undefined` without one).
 * @example type Data = InferErrorData<AppRouter>; // { fields: Record<string, string[]> } | undefined
 */
export type InferErrorData<TRouter extends AnyRouter> = TRouter['~types']['errorData'];

/** A {@link DuplexError} whose `data` is typed by the router's `errorFormatter`. */
export type InferDuplexError<TRouter extends AnyRouter> = DuplexError & { readonly data: InferErrorData<TRouter> | undefined };

/** The record a router was declared with. */
export type InferRouterRecord<TRouter extends AnyRouter> = TRouter['~types']['record'];

type MapRecord<TRecord extends RouterRecord, TPick extends 'input' | 'output'> = {
  [TKey in keyof TRecord]: TRecord[TKey] extends AnyRouter
    ? MapRecord<TRecord[TKey]['~types']['record'], TPick>
    : TRecord[TKey] extends AnyProcedure
      ? TRecord[TKey]['~types'][TPick]
      : never;
};

/**
 * Every procedure's input type, nested like the router.
 * @example type In = InferRouterInputs<AppRouter>['post']['add']; // { text: string }
 */
export type InferRouterInputs<TRouter extends AnyRouter> = MapRecord<TRouter['~types']['record'], 'input'>;

/**
 * Every procedure's output type, nested like the router.
 * @example type Out = InferRouterOutputs<AppRouter>['greet']; // string
 */
export type InferRouterOutputs<TRouter extends AnyRouter> = MapRecord<TRouter['~types']['record'], 'output'>;

/** Procedures of one kind only. */
export type IsKind<TProcedure extends AnyProcedure, TKind extends ProcedureKind> = TProcedure['~types']['kind'] extends TKind
  ? true
  : false;
