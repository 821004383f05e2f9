/** A fenced code block of a Markdown page: its language and its text (ending in a newline). */
export interface CodeBlock {
  lang: string;
  code: string;
}

/** The fenced code blocks of a page, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1] ?? '', code: match[2] ?? '' }));
}

/**
 * The blocks that are files: those whose first line names one (`// router.ts — …`, `// tsconfig.json`),
 * by file name. A block holding several files names each at the start of a line of its own
 * (`// server.ts`), and is split there.
 */
export function namedFiles(blocks: CodeBlock[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const { code } of blocks) {
    const parts = code.split(/^(?=\/\/ [\w.-]+\.(?:ts|json)(?: —.*)?$)/m);
    for (const part of parts) {
      const name = /^\/\/ ([\w.-]+\.(?:ts|json))(?: —.*)?\n/.exec(part)?.[1];
      if (name) files.set(name, `${part.trimEnd()}\n`);
    }
  }
  return files;
}

/** A block of shell commands shown with their output: `npx tsx client.ts` then `# Hello Ada` lines. */
export interface CommandWithOutput {
  command: string;
  output: string[];
}

/** The `sh` blocks made of one command followed by the output it prints, as `# …` lines. */
export function commandsWithOutput(blocks: CodeBlock[]): CommandWithOutput[] {
  const found: CommandWithOutput[] = [];
  for (const { lang, code } of blocks) {
    const [command, ...rest] = code.trimEnd().split('\n');
    if (lang !== 'sh' || command === undefined || command.startsWith('#') || rest.length === 0) continue;
    if (!rest.every((line) => line.startsWith('# '))) continue;
    found.push({ command, output: rest.map((line) => line.slice(2)) });
  }
  return found;
}

/**
 * A pattern for one line of shown output: `…` stands for anything, an ISO timestamp for any
 * timestamp, and `port` (when given) is captured in place of that number.
 */
export function outputPattern(line: string, port?: string): RegExp {
  let source = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  source = source.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\\\.\d{3}Z/g, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z');
  source = source.replaceAll('…', '.+');
  if (port !== undefined) source = source.replace(`:${port}`, ':(\\d+)');
  return new RegExp(`^${source}$`);
}
