// The last line of .ci/run: `N passed, N failed` (`, N skipped` when any), summed over the files
// given: vitest JSON reports and `.test-summary.json` files written by scripts/test.mjs. Skip reasons
// go on the lines above. Exits 1 when anything failed or was skipped: CI installs every browser and
// broker the tests need, so a skip there is a broken setup.
import { existsSync, readFileSync } from 'node:fs';
import { addTally, emptyTally, readVitestReport } from './test-summary.mjs';

const total = emptyTally();
for (const file of process.argv.slice(2)) {
  const data = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  if (data && typeof data.passed === 'number') {
    addTally(total, { ...data, reasons: new Map(Object.entries(data.reasons ?? {})) });
  } else {
    addTally(total, readVitestReport(file));
  }
}
for (const [reason, count] of total.reasons) console.log(`skipped: ${count} × ${reason}`);
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 || total.skipped > 0 ? 1 : 0);
