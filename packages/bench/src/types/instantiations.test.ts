/**
 * Regression guard for the type-check cost of duplex routers and clients (docs/performance.md,
 * "Type-check cost"): a generated router of 200 zod-typed procedures plus a client calling each,
 * checked by `tsc --extendedDiagnostics`. Instantiation counts are deterministic for a given
 * TypeScript version, so these are exact budgets, not timings.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, type Variant } from './generate.js';

const PROCEDURES = 200;
/**
 * Measured 2026-11-25 with TypeScript 5.9.3 at 200 procedures: 116,647 (floor 46,802; before zod
 * schemas were read through `_zod`: 137,884). Budget is +3 %: the counts are exact for the locked
 * TypeScript, so any real regression shows. 2026-12-03: 118,703 on main, 119,134 (2.55×) with
 * `.meta()`, `createCaller` and `errorFormatter`, all fixed cost (docs/performance.md).
 * Later on 2026-12-03: 122,032 with streamed results (the client maps a handler's stream result
 * to `AsyncIterable<item>`, about 7 per procedure; done in the builder it cost 15) plus the trace
 * context and credential-expiry options; budget +0.5 %.
 */
const DUPLEX_BUDGET = 122_600;
/** Measured ratio to the floor at 200 procedures: 2.49×; +3 %. With streamed results (above): 2.61×; +0.5 %. */
const MAX_FLOOR_RATIO = 2.62;

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
const workDir = mkdtempSync(join(tmpdir(), 'duplex-type-cost-'));
// The fixture resolves `@duplex/server`, `@duplex/client` and `zod` through the repo's node_modules.
symlinkSync(join(repoRoot, 'node_modules'), join(workDir, 'node_modules'), 'dir');

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/**
 * The query helpers (`@duplex/tanstack-query`) on the same router, `getQueryData(duplex.x.queryOptions(input).queryKey)`
 * per query (variant `duplex-query`), against the client alone (`duplex`). Measured 2026-12-03 at
 * 200 procedures: 135,735 against 122,044 (1.112×; slope 100→200: 596 against 535 per procedure,
 * 1.11×). Before the client was recognised by its type: 145,611 (1.19×). The target is
 * 1.15×; budget +0.5 %.
 */
const QUERY_HELPERS_BUDGET = 136_400;
const MAX_QUERY_HELPERS_RATIO = 1.15;

const measured = new Map<Variant, Promise<number>>();
/** Each variant is generated and checked once per run, whichever test asks first. */
function instantiations(variant: Variant): Promise<number> {
  let result = measured.get(variant);
  if (!result) measured.set(variant, (result = measure(variant)));
  return result;
}

async function measure(variant: Variant): Promise<number> {
  const dir = join(workDir, variant);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(generate(variant, PROCEDURES))) writeFileSync(join(dir, name), text);
  const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', dir, '--extendedDiagnostics'], { encoding: 'utf8' });
  const match = /^Instantiations:\s+(\d+)/m.exec(stdout);
  if (!match?.[1]) throw new Error(`no "Instantiations:" in tsc output:\n${stdout}`);
  return Number(match[1]);
}

describe('type-check cost', () => {
  it(`a ${PROCEDURES}-procedure router and client stay within the instantiation budget`, { timeout: 120_000 }, async () => {
    const [floor, duplex] = await Promise.all([instantiations('floor'), instantiations('duplex')]);
    expect(duplex).toBeLessThanOrEqual(DUPLEX_BUDGET);
    expect(duplex / floor).toBeLessThanOrEqual(MAX_FLOOR_RATIO);
  });

  it('the TanStack Query helpers used for every query cost at most 1.15× the client alone', { timeout: 120_000 }, async () => {
    const [duplex, helpers] = await Promise.all([instantiations('duplex'), instantiations('duplex-query')]);
    expect(helpers).toBeLessThanOrEqual(QUERY_HELPERS_BUDGET);
    expect(helpers / duplex).toBeLessThanOrEqual(MAX_QUERY_HELPERS_RATIO);
  });
});
