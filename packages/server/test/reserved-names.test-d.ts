import { initDuplex } from '@duplex/server';
import { describe, expectTypeOf, it } from 'vitest';

const d = initDuplex.create();
const proc = d.procedure.query(() => 1);

// noThenProperty is off for this file in biome.json: a `then` key is what it tests.
describe('reserved router keys in types', () => {
  it('are compile errors at the root and in nested routers', () => {
    // @ts-expect-error "then" is reserved by the duplex client
    d.router({ then: proc });
    // @ts-expect-error "close" is reserved by the duplex client
    d.router({ close: proc });
    // @ts-expect-error "state" is reserved by the duplex client
    d.router({ state: proc });
    // @ts-expect-error "on" is reserved by the duplex client
    d.router({ on: proc });
    // @ts-expect-error "reauthenticate" is reserved by the duplex client
    d.router({ reauthenticate: proc });
    // @ts-expect-error "then" is reserved in nested routers too
    d.router({ posts: d.router({ then: proc }) });
  });

  it('leave other names alone', () => {
    const router = d.router({ onPost: proc, nested: d.router({ closeRoom: proc }) });
    expectTypeOf(router['~types'].record.onPost).toEqualTypeOf(proc);
  });
});
