import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const benchDir = fileURLToPath(new URL('../', import.meta.url));

describe('npm run bench', () => {
  // The CLI must start on a fresh clone, before any package has a dist (it builds them itself):
  // run the exact `bench` script of package.json, with `--list` so nothing is measured.
  it('starts without a prior build and lists systems and scenarios', { timeout: 60_000 }, async () => {
    const script = (JSON.parse(readFileSync(`${benchDir}package.json`, 'utf8')) as { scripts: { bench: string } }).scripts.bench;
    const { stdout } = await promisify(execFile)('sh', ['-c', `${script} --list`], { cwd: benchDir, encoding: 'utf8' });
    expect(stdout).toContain('duplex (duplex (superjson))');
    expect(stdout).toContain('scenarios: a, b, c, d, e, f, g, h');
  });
});
