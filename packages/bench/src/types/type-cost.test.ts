import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose, writeProject } from './diagnose.js';

const root = fileURLToPath(new URL('../../results/types-test/', import.meta.url));

/**
 * Regression guard for the type-check cost of a router (issue 6, item 6). Instantiation counts
 * are deterministic for a given TypeScript version, so this asserts counts, never time.
 * Measured 2026-11-25 at 100 procedures: floor 23,702, duplex 76,023 (3.21×). The target is
 * 1.3×; the bound below only stops it from getting worse. Lower it as duplex improves.
 */
const MAX_RATIO_AT_100 = 3.4;

describe('type-check cost of a 100-procedure router', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(`stays within ${MAX_RATIO_AT_100}× the plain-function floor's instantiations`, async () => {
    writeProject(`${root}floor/`, 'floor', 100);
    writeProject(`${root}duplex/`, 'duplex', 100);
    const [floor, duplex] = await Promise.all([diagnose(`${root}floor/`), diagnose(`${root}duplex/`)]);
    expect(floor.instantiations).toBeGreaterThan(10_000);
    expect(duplex.instantiations / floor.instantiations).toBeLessThanOrEqual(MAX_RATIO_AT_100);
  });
});
