import { readdir, readFile } from 'node:fs/promises';
import { DuplexError } from '@duplex/client';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../snippets/getting-started/router.js';

const docsDir = new URL('../', import.meta.url);
const snippetsDir = new URL('snippets/getting-started/', docsDir);

/** The ```ts blocks of a page whose first line names a file: `// router.ts — …`. */
async function namedBlocks(page: string): Promise<Map<string, string>> {
  const markdown = await readFile(new URL(page, docsDir), 'utf8');
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = match[1] ?? '';
    const name = /^\/\/ ([\w.-]+\.ts) —/.exec(code)?.[1];
    if (name) blocks.set(name, code);
  }
  return blocks;
}

describe('docs/getting-started.md', () => {
  it('shows each snippet file exactly as it is compiled', async () => {
    const blocks = await namedBlocks('getting-started.md');
    const files = (await readdir(snippetsDir)).filter((file) => file.endsWith('.ts')).sort();
    expect([...blocks.keys()].sort()).toEqual(files);
    for (const file of files) expect(blocks.get(file), file).toBe(await readFile(new URL(file, snippetsDir), 'utf8'));
  });

  it('does what the page says the client prints', async () => {
    await using server = await startServer(appRouter);
    const client = server.client<typeof appRouter>();
    expect(await client.greet.query({ name: 'Ada' })).toBe('Hello Ada');
    const ticks: Array<{ n: number; at: Date }> = [];
    for await (const tick of client.countdown.iterate({ from: 3 })) ticks.push(tick);
    expect(ticks.map((t) => t.n)).toEqual([3, 2, 1, 0]);
    expect(ticks.every((t) => t.at instanceof Date)).toBe(true);
    const error = await client.greet.query({ name: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe('BAD_REQUEST');
    expect((error as DuplexError).issues?.[0]?.message).toBe('Too small: expected string to have >=1 characters');
  });
});
