import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generate, type Variant } from './generate.js';

/** What `tsc --extendedDiagnostics` reports for one generated project. */
export interface Diagnostics {
  instantiations: number;
  types: number;
  memoryKB: number;
  checkTimeS: number;
}

export const tscPath = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));

/** Writes the generated project for `variant` at `size` procedures into `dir` (ending in `/`). */
export function writeProject(dir: string, variant: Variant, size: number): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(generate(variant, size))) writeFileSync(dir + name, text);
}

const run = promisify(execFile);

/** Type-checks the project in `dir`; rejects with the first errors if it does not compile. */
export async function diagnose(dir: string): Promise<Diagnostics> {
  let output: string;
  try {
    output = (await run(process.execPath, [tscPath, '-p', dir, '--extendedDiagnostics'], { encoding: 'utf8' })).stdout;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`tsc reported errors in ${dir}:\n${stdout.split('\n').slice(0, 10).join('\n')}`);
  }
  const read = (label: string) => {
    const match = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(output);
    if (!match) throw new Error(`no "${label}" in tsc output`);
    return Number(match[1]);
  };
  return { instantiations: read('Instantiations'), types: read('Types'), memoryKB: read('Memory used'), checkTimeS: read('Check time') };
}
