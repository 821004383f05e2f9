// Bundles the worker-jobs programs into dist/: server.js, cli.js and demo.js.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeProgram } from '../../../scripts/esbuild-workspace.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the three programs; returns the dist directory. */
export async function buildPrograms(outdir = `${root}dist`) {
  const entries = { server: 'src/server-main.ts', cli: 'src/cli.ts', demo: 'src/demo.ts' };
  await build(nodeProgram(Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, `${root}${file}`])), outdir));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPrograms();
