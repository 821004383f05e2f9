// Counts what a vitest JSON report holds, with the reason of every skip (a test's `meta.skipReason`,
// set through `skipUnless` from @duplex/test-utils), and formats the closing line of a test run.
import { existsSync, readFileSync } from 'node:fs';

/** An empty tally: counts plus skip reasons with how many tests each one skipped. */
export function emptyTally() {
  return { passed: 0, failed: 0, skipped: 0, reasons: new Map() };
}

/** Adds `other` into `into`. */
export function addTally(into, other) {
  into.passed += other.passed;
  into.failed += other.failed;
  into.skipped += other.skipped;
  for (const [reason, count] of other.reasons) into.reasons.set(reason, (into.reasons.get(reason) ?? 0) + count);
  return into;
}

/** Reads a vitest JSON report; a missing or unreadable report counts as one failure. */
export function readVitestReport(file) {
  const tally = emptyTally();
  if (!existsSync(file)) {
    console.log(`(no vitest report at ${file}: counted as one failure)`);
    tally.failed = 1;
    return tally;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const result of report.testResults ?? []) {
    let failedHere = 0;
    for (const test of result.assertionResults ?? []) {
      if (test.status === 'passed') tally.passed += 1;
      else if (test.status === 'failed') failedHere += 1;
      else {
        tally.skipped += 1;
        const reason = test.status === 'todo' ? 'todo' : (test.meta?.skipReason ?? 'no reason given');
        tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
      }
    }
    // A file that failed with no failed test (an import error, a failing hook) is one failure.
    tally.failed += result.status === 'failed' && failedHere === 0 ? 1 : failedHere;
  }
  return tally;
}

/** `N passed, N failed, N skipped (count × reason; …)`, the closing line of `npm test`. */
export function closingLine(tally) {
  const reasons = [...tally.reasons].map(([reason, count]) => `${count} × ${reason}`).join('; ');
  return `${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped${reasons ? ` (${reasons})` : ''}`;
}
