// `npm test`: type-check, lint, then every vitest project, and always all three, so one run shows
// every problem. Ends with `N passed, N failed, N skipped (why…)`; tsc and lint count as one check
// each. Extra arguments go to vitest (`npm test -- packages/core`). Installs nothing: tests that
// need a browser or a broker this machine lacks are skipped, and the closing line says which and
// how to provide it. Under CI (`CI` set) a skip fails the run. Exit code 0 only when all passed.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addTally, closingLine, emptyTally, readVitestReport } from './test-summary.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
/** Where the vitest JSON report goes (git-ignored); .ci/run reads it. */
const REPORT = `${root}.vitest-results.json`;

function step(label, command, args) {
  console.log(`\n== ${label}`);
  return spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status === 0;
}

const tally = emptyTally();
const failedChecks = [];
for (const [label, command, args] of [
  ['tsc', bin('tsc'), ['-p', 'tsconfig.json']],
  ['lint', 'npm', ['run', '--silent', 'lint']],
]) {
  if (step(label, command, args)) tally.passed += 1;
  else {
    tally.failed += 1;
    failedChecks.push(label);
  }
}

rmSync(REPORT, { force: true });
const vitestArgs = ['run', '--config', 'vitest.workspace.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${REPORT}`];
step('vitest', bin('vitest'), [...vitestArgs, ...process.argv.slice(2)]);
addTally(tally, readVitestReport(REPORT));

// The summary .ci/run adds to the Node 24 run's report.
writeFileSync(`${root}.test-summary.json`, JSON.stringify({ ...tally, reasons: Object.fromEntries(tally.reasons) }));
console.log('');
if (failedChecks.length > 0) console.log(`failed checks: ${failedChecks.join(', ')}`);
const ci = Boolean(process.env.CI) && process.env.CI !== 'false';
if (ci && tally.skipped > 0) console.log('CI is set: a skipped test fails the run (install what the reasons name)');
console.log(closingLine(tally));
process.exit(tally.failed > 0 || (ci && tally.skipped > 0) ? 1 : 0);
