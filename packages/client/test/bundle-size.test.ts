import { describe, expect, it } from 'vitest';
import { BUDGET_GZIP_BYTES, CALLS_BUDGET_GZIP_BYTES, measureClientBundle } from '../scripts/size.mjs';

describe('browser bundle size of @duplex/client', () => {
  it('stays within the gzip budgets of docs/bundle-size.md', async () => {
    const rows = await measureClientBundle();
    const size = (name: string) => {
      const row = rows.find((r) => r.name === name);
      if (!row) throw new Error(`no entry "${name}"`);
      return row;
    };
    const calls = size('calls and subscriptions only');
    const withBinary = size('with binary frames');
    const all = size('all exports');
    // A real bundle: superjson is external, yet the client and core are in it.
    expect(calls.minified).toBeGreaterThan(2_000);
    expect(calls.budget).toBe(CALLS_BUDGET_GZIP_BYTES);
    expect(calls.gzip).toBeLessThanOrEqual(CALLS_BUDGET_GZIP_BYTES);
    expect(all.budget).toBe(BUDGET_GZIP_BYTES);
    expect(all.gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    // Binary frames drop out unless imported: opting in costs a real amount.
    expect(withBinary.gzip - calls.gzip).toBeGreaterThan(200);
    expect(withBinary.gzip).toBeLessThanOrEqual(all.gzip);
  });
});
