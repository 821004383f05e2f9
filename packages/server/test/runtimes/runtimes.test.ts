import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allNames } from './run-all.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));

/** The commands that run the suite on each runtime, from the npm packages `bun` and `deno` (devDependencies). */
const runtimes = {
  bun: [`${root}node_modules/.bin/bun`, ['--conditions=@duplex/source', `${here}bun-main.ts`]],
  deno: [
    `${root}node_modules/.bin/deno`,
    // Sources import `./x.js` for `./x.ts` (what tsc wants): Deno needs --sloppy-imports for that.
    ['run', '--allow-net', '--allow-env', '--allow-read', '--node-modules-dir=manual', '--sloppy-imports', '--conditions=@duplex/source', `${here}deno-main.ts`],
  ],
} as const;

function run(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: root, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe.each(Object.entries(runtimes))('the server suites on %s (its own server, WebSocket and fetch)', (name, [command, args]) => {
  it('passes every case', { timeout: 90_000 }, async () => {
    const { code, output } = await run(command, args);
    const lines = output.split('\n');
    // Every case reported as passed, by name, so a runner that skipped one fails here too.
    expect(lines.filter((line) => line.startsWith('not ok')), output).toEqual([]);
    expect(lines.filter((line) => line.startsWith('ok - ')).map((line) => line.slice(5))).toEqual(allNames);
    expect(output).toContain(`${name}: ${allNames.length} passed, 0 failed`);
    expect(code).toBe(0);
  });
});
