// Measures the browser bundle of @duplex/client: esbuild, minified ESM, superjson external, gzip -9.
// `npm run size` at the repo root prints the figures and exits 1 past a budget;
// packages/client/test/bundle-size.test.ts runs the same check in `npm test`.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Largest allowed gzip size of everything `@duplex/client` exports, `binary` included, superjson excluded (docs/bundle-size.md). */
export const BUDGET_GZIP_BYTES = 12 * 1024;

/** Largest allowed gzip size of an app that makes calls and subscriptions (docs/bundle-size.md; the target is 6 KB). */
export const CALLS_BUDGET_GZIP_BYTES = 11.25 * 1024;

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** What an app pays for, tree-shaken as its bundler would. */
export const ENTRIES = {
  'calls and subscriptions only': `
    import { createClient } from '@duplex/client';
    const client = createClient({ url: 'wss://example.test/rpc' });
    export const app = (signal) => [
      client.posts.list.query(1),
      client.posts.add.mutate(2, { timeoutMs: 5000 }),
      client.posts.onAdd.subscribe(3, { onData: console.log }),
      client.posts.onAdd.iterate(4, { signal }),
    ];`,
  'with binary frames': `
    import { createClient } from '@duplex/client';
    import { binary } from '@duplex/client/binary';
    export const client = createClient({ url: 'wss://example.test/rpc', binary });`,
  'all exports': "export * from '@duplex/client'; export * from '@duplex/client/binary';",
};

/**
 * Bundles `contents` as a browser app's bundler would (esbuild, minified ESM, ES2022, the browser
 * condition) and returns its minified and gzip -9 sizes in bytes, and the source files in it.
 * `external` is left out of the figure (superjson by default); `resolveDir` is where bare imports
 * resolve from.
 */
export async function measureBundle(contents, { resolveDir = packageDir, external = ['superjson'] } = {}) {
  const result = await build({
    stdin: { contents, resolveDir, loader: 'js' },
    // Paths in the metafile (below) are relative to this, wherever the script runs from.
    absWorkingDir: packageDir,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Sources, so the figure needs no `npm run build`; tsup ships the same code (ES2022, `#private`
    // members kept, so the app's minifier shortens them as esbuild does here).
    conditions: ['@duplex/source'],
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  const [output] = Object.values(result.metafile.outputs);
  // The source files that left code in the bundle, relative to this package (`../core/src/…`).
  const modules = Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, modules };
}

/** Bundles each entry and returns its minified and gzip sizes in bytes and its modules, with its budget. */
export async function measureClientBundle() {
  const rows = [];
  for (const [name, contents] of Object.entries(ENTRIES)) {
    const budget = name === 'calls and subscriptions only' ? CALLS_BUDGET_GZIP_BYTES : name === 'all exports' ? BUDGET_GZIP_BYTES : undefined;
    rows.push({ name, budget, ...(await measureBundle(contents)) });
  }
  return rows;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const rows = await measureClientBundle();
  const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
  for (const row of rows) {
    const verdict = row.budget === undefined ? '' : ` (budget ${kb(row.budget)}: ${row.gzip <= row.budget ? 'ok' : 'OVER BUDGET'})`;
    console.log(`@duplex/client, ${row.name}: ${kb(row.minified)} minified, ${kb(row.gzip)} gzip${verdict}`);
    if (row.budget !== undefined && row.gzip > row.budget) process.exitCode = 1;
  }
  console.log('superjson excluded');
}
