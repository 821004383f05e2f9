import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// The client's size script: one set of bundler settings for every budget (docs/bundle-size.md).
import { measureBundle } from '../../client/scripts/size.mjs';

/** Gzip budget of the query helpers on top of the client (docs/tanstack-query.md). */
const BUDGET_GZIP_BYTES = 2 * 1024;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `contents` for the browser with the client, core and TanStack left out: what the helpers add. */
async function gzipSize(contents: string): Promise<number> {
  const { minified, gzip } = await measureBundle(contents, { resolveDir: packageDir, external: ['@duplex/client', '@duplex/core', '@tanstack/query-core', 'react'] });
  expect(minified).toBeGreaterThan(500);
  return gzip;
}

describe('browser bundle of the query helpers', () => {
  it('adds less than 2 KB min+gzip beyond the client, the hook included', async () => {
    const size = await gzipSize("export * from './src/index.ts'; export * from './src/react/index.ts';");
    expect(size).toBeLessThan(BUDGET_GZIP_BYTES);
  });
});
