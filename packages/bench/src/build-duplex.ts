import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The duplex packages the bench loads, in dependency order. */
const PACKAGES = ['core', 'server', 'client'];

/**
 * Builds the duplex packages' JavaScript (no .d.ts) with their own tsup configs, so the bench
 * runs duplex the way users get it. Running from src through tsx would be slower and unfair to
 * duplex: tsx compiles with esbuild's `keepNames`, which wraps every named closure in a
 * `__name()` call, in hot paths too, while the competitors run their published builds.
 */
export function buildDuplex(log: (line: string) => void): void {
  for (const name of PACKAGES) {
    const cwd = fileURLToPath(new URL(`../../${name}/`, import.meta.url));
    execFileSync('npx', ['tsup', '--no-dts', '--silent'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  log(`built @duplex/{${PACKAGES.join(',')}} dist (tsup, no .d.ts)`);
}

/** Where `--base=<ref>` builds the duplex of another commit (inside the ignored results folder). */
export const BASE_DIR = fileURLToPath(new URL('../results/base/', import.meta.url));

/**
 * Builds the duplex packages of git `ref` into {@link BASE_DIR} for the `duplex-base` system, so a
 * change can be measured against its parent in the same run (same machine, same load). The
 * packages are taken with `git archive` and built with this checkout's tsup; their own imports of
 * `@duplex/*` resolve to each other through `BASE_DIR/node_modules`, everything else to this
 * checkout's node_modules.
 */
export function buildDuplexAt(ref: string, log: (line: string) => void): void {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  rmSync(BASE_DIR, { recursive: true, force: true });
  mkdirSync(`${BASE_DIR}node_modules/@duplex`, { recursive: true });
  const paths = [...PACKAGES.map((name) => `packages/${name}`), 'tsconfig.json', 'tsconfig.base.json'];
  const archive = execFileSync('git', ['archive', '--format=tar', ref, ...paths], { cwd: repo, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', BASE_DIR], { input: archive });
  for (const name of PACKAGES) {
    const cwd = `${BASE_DIR}packages/${name}/`;
    execFileSync('npx', ['tsup', '--no-dts', '--silent'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    symlinkSync(`../../packages/${name}`, `${BASE_DIR}node_modules/@duplex/${name}`);
  }
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: repo, encoding: 'utf8' }).trim();
  log(`built @duplex/{${PACKAGES.join(',')}} of ${ref} (${commit}) into results/base for duplex-base`);
}
