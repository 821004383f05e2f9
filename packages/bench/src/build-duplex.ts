import { execFileSync } from 'node:child_process';
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
