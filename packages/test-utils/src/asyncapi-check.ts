import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What {@link checkAsyncApi} learned from `@asyncapi/parser` about a document. */
export interface AsyncApiCheck {
  /** Diagnostics of severity "error" (a valid document has none). */
  errors: Array<{ code: string | number; message: string; path: Array<string | number> }>;
  version: string | null;
  title: string | null;
  /** Channel id → address. */
  channels: Record<string, string | null>;
  /** Operation id → action, its message ids and its reply's message ids (null without reply). */
  operations: Record<string, { action: string; messages: string[]; reply: string[] | null }>;
  /** Message id → property names of its payload's `input`, after the parser resolved every `$ref`. */
  inputProperties: Record<string, string[] | null>;
}

const script = fileURLToPath(new URL('./asyncapi-check.cjs', import.meta.url));

/**
 * Parses AsyncAPI documents with `@asyncapi/parser` in one separate Node process and summarises
 * each (loading the parser takes seconds, so pass every document of a suite at once). A child process because vitest's module loader cannot link the parser's dependencies
 * (nimma's ESM build under the `import` condition); plain Node loads them as users would.
 */
export function checkAsyncApi(...documents: unknown[]): Promise<AsyncApiCheck[]> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // the test runner's loader hooks must not reach the child
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [script], { env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`asyncapi-check failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as AsyncApiCheck[]);
    });
    child.stdin?.end(JSON.stringify(documents));
  });
}
