import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** Gzip budget of the query helpers on top of the client (docs/tanstack-query.md). */
const BUDGET_GZIP_BYTES = 2 * 1024;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `contents` for the browser with the client, core and TanStack left out: what the helpers add. */
async function gzipSize(contents: string): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir: packageDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@duplex/source'],
    external: ['@duplex/client', '@duplex/core', '@tanstack/query-core', 'react'],
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
  expect(bytes.length).toBeGreaterThan(500);
  return gzipSync(bytes, { level: 9 }).length;
}

describe('browser bundle of the query helpers', () => {
  it('adds less than 2 KB min+gzip beyond the client, the hook included', async () => {
    const size = await gzipSize("export * from './src/index.ts'; export * from './src/react/index.ts';");
    expect(size).toBeLessThan(BUDGET_GZIP_BYTES);
  });
});
