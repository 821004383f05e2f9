/**
 * `npm run bench:server-ab -- --base=<git ref> [--blocks=N]`: the server's CPU time per call and
 * per delivery, this checkout against another commit, both builds in one process (no sockets,
 * no second process, no scheduler between them), in alternating blocks. Prints each build's
 * median and the median of the per-block ratios with a 95 % confidence interval.
 *
 * Why: the socket bench's same-run A/B spreads by ±5–15 % per repeat on a shared two-core
 * machine, so it cannot confirm a bound of a few percent (issue 17: "no cost when off, within
 * 3 %"); here the blocks are short and many, and the interval says how sure the figure is.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BASE_DIR, buildDuplex, buildDuplexAt } from '../build-duplex.js';
import { argValue, positiveIntArg } from '../cli-args.js';
import { median, medianInterval } from '../stats.js';
import { CALLS_PER_ROUND, createServerWork, type ServerBuild, SUBSCRIBERS, type ServerWork } from './server-work.js';

const args = process.argv.slice(2);
const base = argValue(args, 'base');
const blocksArg = positiveIntArg(args, 'blocks');
const blocks = blocksArg !== undefined && blocksArg > 1 ? blocksArg : 200;
if (!base) {
  console.error('usage: npm run bench:server-ab -- --base=<git ref> [--blocks=N]');
  process.exit(2);
}
const log = (line: string) => console.error(line);
buildDuplex(log);
buildDuplexAt(base, log);

const load = async (dir: string) => (await import(pathToFileURL(`${dir}packages/server/dist/index.js`).href)) as ServerBuild;
const here = fileURLToPath(new URL('../../../../', import.meta.url));
const builds = { current: await createServerWork(await load(here)), base: await createServerWork(await load(BASE_DIR)) };
const gc = (globalThis as { gc?: () => void }).gc;

async function cpuOf(run: () => Promise<void>): Promise<number> {
  gc?.();
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

const scenarios: Array<{ name: string; per: string; ops: number; run: (work: ServerWork) => Promise<void> }> = [
  { name: '(b)-like: frames of 64 small queries', per: 'call', ops: 400 * CALLS_PER_ROUND, run: (work) => work.calls(400) },
  { name: `(d)-like: fan-out to ${SUBSCRIBERS} subscribers`, per: 'delivery', ops: 250 * SUBSCRIBERS, run: (work) => work.fanOut(250) },
];
const lines = [
  `server CPU per operation, this checkout against ${base}, ${blocks} alternating blocks per scenario (in one process)`,
  '',
  '| scenario | this checkout | base | ratio, median of blocks | 95 % interval |',
  '| --- | ---: | ---: | ---: | ---: |',
];
for (const scenario of scenarios) {
  // Warm both builds up before measuring.
  for (let i = 0; i < 3; i++) {
    await scenario.run(builds.current);
    await scenario.run(builds.base);
  }
  const current: number[] = [];
  const baseline: number[] = [];
  const ratios: number[] = [];
  for (let block = 0; block < blocks; block++) {
    // The order alternates, so neither build always runs first.
    const first = block % 2 === 0 ? 'current' : 'base';
    const a = await cpuOf(() => scenario.run(builds[first]));
    const b = await cpuOf(() => scenario.run(builds[first === 'current' ? 'base' : 'current']));
    const [c, s] = first === 'current' ? [a, b] : [b, a];
    current.push(c / scenario.ops);
    baseline.push(s / scenario.ops);
    ratios.push(c / s);
  }
  const [low, high] = medianInterval(ratios);
  lines.push(
    `| ${scenario.name} | ${median(current).toFixed(2)} µs/${scenario.per} | ${median(baseline).toFixed(2)} µs/${scenario.per} | ${median(ratios).toFixed(3)}× | ${low.toFixed(3)}–${high.toFixed(3)}× |`,
  );
  log(`  ${scenario.name}: done`);
}
console.log(lines.join('\n'));
process.exit(0);
