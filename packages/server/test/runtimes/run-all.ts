import { type HttpHarness, httpCases } from './http-suite.js';
import { cases, type Harness } from './suite.js';

/** Every case name, in the order {@link runAll} reports them. */
export const allNames = [...cases.map((test) => test.name), ...httpCases.map((test) => test.name)];

/**
 * Runs the socket and HTTP suites outside vitest (Bun, Deno), printing `ok - name` or
 * `not ok - name: error` per case and a summary line; resolves with the failure count.
 */
export async function runAll(harness: Harness & HttpHarness, print: (line: string) => void): Promise<number> {
  let failed = 0;
  const all: Array<{ name: string; run(): Promise<void> }> = [
    ...cases.map((test) => ({ name: test.name, run: () => test.run(harness) })),
    ...httpCases.map((test) => ({ name: test.name, run: () => test.run(harness) })),
  ];
  for (const test of all) {
    try {
      await test.run();
      print(`ok - ${test.name}`);
    } catch (error) {
      failed++;
      print(`not ok - ${test.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  print(`${harness.runtime}: ${all.length - failed} passed, ${failed} failed`);
  return failed;
}
