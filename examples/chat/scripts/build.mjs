// Builds the chat: dist/public (the browser bundle, index.html, style.css) and dist/server.js.
// `npm start` runs this, then `node dist/server.js`.
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserBundle, nodeProgram } from '../../../scripts/esbuild-workspace.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles the front end into `outdir` (minified ESM for current browsers). */
export async function buildWeb(outdir = `${root}dist/public`) {
  await mkdir(outdir, { recursive: true });
  await build(browserBundle({ app: `${root}src/web/main.ts` }, outdir));
  await Promise.all(['index.html', 'style.css', 'favicon.svg'].map((file) => copyFile(`${root}src/web/${file}`, `${outdir}/${file}`)));
  return outdir;
}

/** Bundles the Node server into dist/server.js. */
export async function buildServer() {
  await build({ ...nodeProgram({ server: `${root}src/server/main.ts` }, `${root}dist`) });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildWeb(), buildServer()]);
}
