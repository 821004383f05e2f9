import { describe, expect, it } from 'vitest';
import { codeBlocks, commandsWithOutput, namedFiles, outputPattern } from './markdown.js';

const page = [
  'Intro',
  '```sh',
  'npm install x',
  '```',
  '```jsonc',
  '// tsconfig.json',
  '{}',
  '```',
  '```ts',
  '// router.ts — the API',
  'export const a = 1;',
  '```',
  '```ts',
  '// server.ts',
  'export const s = 1;',
  '',
  '// client.ts',
  "import type {} from './server.js';",
  '```',
  '```sh',
  'npx tsx client.ts',
  '# Hello Ada',
  '# 3 2026-11-25T18:30:00.000Z',
  '# 2 …',
  '```',
].join('\n');

describe('reading code from Markdown', () => {
  it('finds fenced blocks with their language', () => {
    expect(codeBlocks(page).map((block) => block.lang)).toEqual(['sh', 'jsonc', 'ts', 'ts', 'sh']);
  });

  it('names files by their first line and splits a block holding several', () => {
    const files = namedFiles(codeBlocks(page));
    expect([...files.keys()]).toEqual(['tsconfig.json', 'router.ts', 'server.ts', 'client.ts']);
    expect(files.get('server.ts')).toBe('// server.ts\nexport const s = 1;\n');
    expect(files.get('client.ts')).toBe("// client.ts\nimport type {} from './server.js';\n");
  });

  it('reads shown output, and matches it with … and timestamps as wildcards', () => {
    const [shown] = commandsWithOutput(codeBlocks(page));
    expect(shown).toEqual({ command: 'npx tsx client.ts', output: ['Hello Ada', '3 2026-11-25T18:30:00.000Z', '2 …'] });
    expect('3 2027-01-02T03:04:05.678Z').toMatch(outputPattern('3 2026-11-25T18:30:00.000Z'));
    expect('4 2027-01-02T03:04:05.678Z').not.toMatch(outputPattern('3 2026-11-25T18:30:00.000Z'));
    expect('2 anything').toMatch(outputPattern('2 …'));
    expect('Hello Bob').not.toMatch(outputPattern('Hello Ada'));
    expect(outputPattern('on ws://127.0.0.1:3000', '3000').exec('on ws://127.0.0.1:41234')?.[1]).toBe('41234');
  });
});
