import { DuplexError } from '@duplex/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCaller } from './create-caller.js';
import { initDuplex } from './init.js';

interface Meta {
  auth?: boolean;
  tag?: string;
}

describe('.meta()', () => {
  const d = initDuplex.context<{ user: string | null }>().meta<Meta>().create();
  const seen: Array<{ path: string; meta: Meta | undefined }> = [];
  const guarded = d.procedure.use(async ({ ctx, meta, path, next }) => {
    seen.push({ path, meta });
    if (meta?.auth && !ctx.user) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
    return next();
  });
  const router = d.router({
    open: guarded.query(() => 'open'),
    secret: guarded.meta({ auth: true }).query(() => 'secret'),
    merged: guarded
      .meta({ auth: true })
      .input(z.string())
      .meta({ tag: 'x' })
      .query(({ input }) => input),
  });

  it('is what middleware reads as meta, merged shallowly across calls, undefined when unset', async () => {
    const anonymous = createCaller(router, { user: null });
    expect(await anonymous.open.query()).toBe('open');
    await expect(anonymous.secret.query()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anonymous.merged.query('a')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await createCaller(router, { user: 'ada' }).merged.query('a')).toBe('a');
    expect(seen.slice(0, 3)).toEqual([
      { path: 'open', meta: undefined },
      { path: 'secret', meta: { auth: true } },
      { path: 'merged', meta: { auth: true, tag: 'x' } },
    ]);
  });

  it('does not leak between procedures built from the same builder', () => {
    const base = d.procedure.meta({ tag: 'base' });
    const one = base.meta({ auth: true }).query(() => 1);
    const two = base.query(() => 2);
    expect(one['~def'].meta).toEqual({ tag: 'base', auth: true });
    expect(two['~def'].meta).toEqual({ tag: 'base' });
  });
});
