// Measures the browser bundle of @duplex/client: esbuild, minified ESM, superjson external, gzip -9.
// `npm run size` at the repo root prints the figures and exits 1 past the budget;
// packages/client/test/bundle-size.test.ts runs the same check in `npm test`.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Largest allowed gzip size of the whole `@duplex/client` entry, superjson excluded (docs/bundle-size.md). */
export const BUDGET_GZIP_BYTES = 10 * 1024;

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** What an app pays for: everything the entry exports, and only `createClient` (tree-shaken). */
const ENTRIES = {
  'all exports': "export * from '@duplex/client';",
  'createClient only': "export { createClient } from '@duplex/client';",
};

async function measure(contents) {
  const result = await build({
    stdin: { contents, resolveDir: packageDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Sources, so the figure needs no `npm run build` and matches what tsup would ship.
    conditions: ['@duplex/source'],
    external: ['superjson'],
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** Bundles each entry and returns its minified and gzip sizes in bytes. */
export async function measureClientBundle() {
  const rows = [];
  for (const [name, contents] of Object.entries(ENTRIES)) rows.push({ name, ...(await measure(contents)) });
  return rows;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const rows = await measureClientBundle();
  const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
  for (const row of rows) console.log(`@duplex/client (${row.name}): ${kb(row.minified)} minified, ${kb(row.gzip)} gzip`);
  const total = rows[0].gzip;
  console.log(`budget: ${kb(BUDGET_GZIP_BYTES)} gzip (superjson excluded) — ${total <= BUDGET_GZIP_BYTES ? 'ok' : 'OVER BUDGET'}`);
  if (total > BUDGET_GZIP_BYTES) process.exitCode = 1;
}
