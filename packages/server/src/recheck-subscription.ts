import { type AnyProcedure, DuplexError } from '@duplex/core';
import { callProcedure, type SignalSource } from './call-procedure.js';

/** What started a live subscription, kept so it can be checked again against a new context. */
export interface SubscriptionSource {
  procedure: AnyProcedure;
  path: string;
  /** The decoded input, as it was passed to the middleware chain. */
  input: unknown;
}

const allow = () => undefined;

/**
 * Runs a subscription's middleware chain (and input validation) with a new context, without its
 * handler: the same checks that admitted it, e.g. an `authed` middleware. Resolves with the error
 * that now refuses it, or undefined when it may go on. Middleware with side effects runs again.
 */
export async function recheckSubscription(source: SubscriptionSource, ctx: unknown, signal: SignalSource): Promise<DuplexError | undefined> {
  const def = source.procedure['~def'];
  if (def.middlewares.length === 0) return undefined;
  const gate = { '~def': { ...def, handler: allow } } as unknown as AnyProcedure;
  try {
    await callProcedure({ procedure: gate, path: source.path, ctx, input: source.input, signal });
    return undefined;
  } catch (cause) {
    // Only errors thrown as DuplexError on purpose carry their message to the client.
    return cause instanceof DuplexError ? cause : new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', cause });
  }
}
