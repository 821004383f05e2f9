import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { initDuplex } from './init.js';

interface Meta {
  auth?: boolean;
  role?: 'admin' | 'user';
}

describe('.meta() types', () => {
  it('types meta in middleware and on procedures after initDuplex.meta<M>()', () => {
    const d = initDuplex.context<{ user: string | null }>().meta<Meta>().create();
    const checked = d.procedure.use(async ({ meta, ctx, next }) => {
      expectTypeOf(meta).toEqualTypeOf<Meta | undefined>();
      expectTypeOf(ctx).toEqualTypeOf<{ user: string | null }>();
      return next();
    });
    checked.meta({ auth: true }).query(() => 1);
    checked.input(z.string()).output(z.string()).meta({ role: 'admin' }).query(({ input }) => input);
    // @ts-expect-error not a key of Meta
    checked.meta({ nope: 1 });
    // @ts-expect-error wrong value type
    d.procedure.meta({ role: 'root' });
    const reusable = d.middleware(async ({ meta, next }) => {
      expectTypeOf(meta).toEqualTypeOf<Meta | undefined>();
      return next();
    });
    d.procedure.use(reusable).meta({ auth: false }).query(() => 'ok');
  });

  it('declares context and meta in either order; both stay optional', () => {
    const a = initDuplex.meta<Meta>().context<{ n: number }>().create();
    a.procedure.meta({ auth: true }).use(async ({ ctx, meta, next }) => {
      expectTypeOf(ctx).toEqualTypeOf<{ n: number }>();
      expectTypeOf(meta).toEqualTypeOf<Meta | undefined>();
      return next();
    });
    const plain = initDuplex.create();
    plain.procedure.use(async ({ meta, ctx, next }) => {
      expectTypeOf(meta).toEqualTypeOf<object | undefined>();
      expectTypeOf(ctx).toEqualTypeOf<object>();
      return next();
    });
    initDuplex.context<{ user: string }>().create().procedure.use(async ({ ctx, next }) => {
      expectTypeOf(ctx).toEqualTypeOf<{ user: string }>();
      return next();
    });
  });
});
