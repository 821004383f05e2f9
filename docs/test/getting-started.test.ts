/**
 * Follows docs/getting-started.md and the README's example as a new user would, outside this
 * repository: packs the packages (`npm run pack`, as the page says), creates the project in a
 * temporary folder from the page's own code blocks, runs the page's install commands (tarballs,
 * plus zod, ws, typescript and tsx from the npm registry), type-checks with `tsc --strict`, then runs
 * the server on a free port and the client against it, comparing what they print with the page.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, commandsWithOutput, namedFiles, outputPattern } from './markdown.js';
import { sh, start, userEnv } from './shell.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const page = codeBlocks(await readFile(join(repo, 'docs/getting-started.md'), 'utf8'));
const readme = codeBlocks(await readFile(join(repo, 'README.md'), 'utf8'));

/** The one `sh` block whose text matches `pattern`. */
function shBlock(pattern: RegExp): string {
  const found = page.filter((block: CodeBlock) => block.lang === 'sh' && pattern.test(block.code));
  expect(found, `one sh block matching ${String(pattern)}`).toHaveLength(1);
  return (found[0] as CodeBlock).code;
}

/** The port the page's server shows (`ws://127.0.0.1:3000`), which the test replaces with a free one. */
const SHOWN_PORT = '3000';

describe('docs/getting-started.md and the README example, in a new project outside the repository', () => {
  let root: string;
  let project: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'duplex-getting-started-'));
    // The page installs from `../duplex`, a clone next to the project: here, this repository.
    await symlink(repo, join(root, 'duplex'));
    await sh(shBlock(/^# in your clone of duplex\n/), repo);
    await sh(shBlock(/^mkdir hello-duplex && cd hello-duplex\n/), root);
    project = join(root, 'hello-duplex');
    await sh(shBlock(/\.tgz/), project);
    for (const [name, code] of namedFiles(page)) await writeFile(join(project, name), code);
  }, 600_000);

  afterAll(async () => {
    if (!root) return;
    await unlink(join(root, 'duplex')).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('shows the registry install for later with the same packages as the tarball install for today', () => {
    const later = shBlock(/^npm install @duplex\//).trim().split(/\s+/).slice(2);
    const today = shBlock(/\.tgz/).trim().split(/\s+/).slice(2);
    const asNames = (args: string[]) => args.map((arg) => arg.replace(/^.*\/duplex-(\w[\w-]*)\.tgz$/, '@duplex/$1'));
    // The registry resolves @duplex/core as a dependency; a tarball install has to name it.
    expect(asNames(today).filter((name) => name !== '@duplex/core')).toEqual(asNames(later));
  });

  it('type-checks with tsc --strict (the page’s @ts-expect-error lines are the errors it shows)', async () => {
    expect([...namedFiles(page).keys()].sort()).toEqual(['browser.ts', 'client.ts', 'router.ts', 'server.ts', 'tsconfig.json', 'typos.ts']);
    await sh('npx tsc --strict -p .', project);
  }, 120_000);

  it('runs: the server prints its address and the client prints what the page shows', async () => {
    const [server, client] = commandsWithOutput(page);
    expect(server?.command).toBe('npx tsx server.ts');
    expect(client?.command).toBe('npx tsx client.ts');
    if (!server || !client) return;

    await using running = start(server.command, project, userEnv({ PORT: '0' }));
    const ready = outputPattern(server.output[0] ?? '', SHOWN_PORT).exec(await running.nextLine());
    expect(ready, `server prints "${server.output[0]}"`).not.toBeNull();
    const port = ready?.[1] ?? '';

    const printed = (await sh(client.command, project, userEnv({ PORT: port }))).trimEnd().split('\n');
    expect(printed).toHaveLength(client.output.length);
    for (const [index, line] of client.output.entries()) expect(printed[index]).toMatch(outputPattern(line));
  }, 120_000);

  describe('README example', () => {
    let app: string;
    beforeAll(async () => {
      app = join(root, 'readme-example');
      await mkdir(app);
      const files = namedFiles(readme.filter((block) => block.lang === 'ts'));
      expect([...files.keys()].sort()).toEqual(['client.ts', 'server.ts']);
      for (const [name, code] of files) await writeFile(join(app, name), code);
      // Same installed packages and tsconfig as the getting-started project.
      await symlink(join(project, 'node_modules'), join(app, 'node_modules'));
      await writeFile(join(app, 'package.json'), await readFile(join(project, 'package.json')));
      await writeFile(join(app, 'tsconfig.json'), namedFiles(page).get('tsconfig.json') ?? '');
    });

    it('type-checks with tsc --strict', async () => {
      await sh('npx tsc --strict -p .', app);
    }, 120_000);

    it('runs: a greeting, then ticks carrying Dates', async () => {
      await using server = start('npx tsx server.ts', app, userEnv({ PORT: '0' }));
      const port = /^listening on ws:\/\/localhost:(\d+)$/.exec(await server.nextLine())?.[1];
      expect(port).toMatch(/^\d+$/);
      await using client = start('npx tsx client.ts', app, userEnv({ PORT: port ?? '' }));
      expect(await client.nextLine()).toBe('Hello Ada');
      expect(await client.nextLine()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await client.nextLine()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }, 120_000);
  });
});
