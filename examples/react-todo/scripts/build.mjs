// Builds the React todo: dist/public (bundle + index.html) and dist/server.js.
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserBundle, nodeProgram } from '../../../scripts/esbuild-workspace.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles the front end into `outdir` (minified ESM, React's production build). */
export async function buildWeb(outdir = `${root}dist/public`) {
  await mkdir(outdir, { recursive: true });
  await build({
    ...browserBundle({ app: `${root}src/web/main.tsx` }, outdir),
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
  });
  await copyFile(`${root}src/web/index.html`, `${outdir}/index.html`);
  return outdir;
}

/** Bundles the Node server into dist/server.js. */
export async function buildServer() {
  await build({ ...nodeProgram({ server: `${root}src/server/main.ts` }, `${root}dist`) });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildWeb(), buildServer()]);
}
