declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped: a missing tool or service and how to provide it (read by scripts/test.mjs). */
    skipReason?: string;
  }
}

/** Suite options for a suite that needs something this machine may lack. */
export interface RequirementOptions {
  skip: boolean;
  meta: { skipReason?: string };
}

/**
 * Options that skip a suite when `missing` says what is absent, and record that as the reason the
 * closing line of `npm test` reports; `undefined` means all is there and the suite runs.
 * @example describe('in Chromium', skipUnless(chromium.missing), () => { … })
 */
export function skipUnless(missing: string | undefined): RequirementOptions {
  return missing === undefined ? { skip: false, meta: {} } : { skip: true, meta: { skipReason: missing } };
}
