import { describe, expect, it } from 'vitest';
import { BUDGET_GZIP_BYTES, measureClientBundle } from '../scripts/size.mjs';

describe('browser bundle size of @duplex/client', () => {
  it('stays within the gzip budget of docs/bundle-size.md', async () => {
    const [all, createClientOnly] = await measureClientBundle();
    expect(all?.name).toBe('all exports');
    // A real bundle: superjson is external, yet the client and core are in it.
    expect(all?.minified).toBeGreaterThan(2_000);
    expect(all?.gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    expect(createClientOnly?.gzip).toBeLessThanOrEqual(all?.gzip ?? 0);
  });
});
