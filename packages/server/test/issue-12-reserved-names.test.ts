import { RESERVED_ROUTER_KEYS } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { describe, expect, it } from 'vitest';

const d = initDuplex.create();
const proc = d.procedure.query(() => 1);

describe('reserved router keys', () => {
  it.each(RESERVED_ROUTER_KEYS)('refuses "%s" with an error naming the key and the reserved set', (key) => {
    const record = { ok: proc, [key]: proc };
    // The types refuse it too; the cast is what a JavaScript caller (or a computed key) does.
    expect(() => d.router(record as never)).toThrow(
      `router key "${key}" is reserved by the duplex client; rename it (reserved: then, state, on, close, reauthenticate)`,
    );
  });

  it('refuses a reserved key in a nested router as well (a nested `then` makes the client proxy look like a promise)', () => {
    expect(() => d.router({ posts: d.router(Object.fromEntries([['then', proc]]) as never) })).toThrow(/"then" is reserved/);
  });

  it('accepts names that only contain a reserved word', () => {
    const router = d.router({ onPost: proc, closeRoom: proc, stateOf: proc, thenable: proc });
    expect([...router['~def'].procedures.keys()]).toEqual(['onPost', 'closeRoom', 'stateOf', 'thenable']);
  });
});
