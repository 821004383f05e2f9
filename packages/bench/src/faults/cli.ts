/**
 * `npm run bench:faults`: reliability under injected faults (clean cut, half-open link, server
 * restart, 100 clients cut at once) for duplex, tRPC v11 and Socket.IO 4 with default options.
 * Flags: `--full` (more repeats, 60 s half-open cap), `--systems=duplex,trpc`, `--no-stall`.
 * `--mode=counter`: 1,000 counter mutations under cuts, stalls and SIGKILLed server processes
 * (counter.ts); `--mode=rotation`: credentials renewed every 2 s for a minute (rotation.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type FaultConfig, fullFaults, quickFaults, runFaults } from './harness.js';
import { renderFaults } from './report.js';
import { faultSystems } from './systems.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const mode = flag('mode');
if (mode !== undefined) {
  const { runMode } = await import('./modes.js');
  await runMode(mode, { systems: flag('systems')?.split(','), seconds: Number(flag('seconds') ?? 60) });
  process.exit(0);
}

const config: FaultConfig = { ...(args.includes('--full') ? fullFaults : quickFaults) };
if (args.includes('--no-stall')) config.stallCapMs = 0;
const wanted = flag('systems')?.split(',');
const systems = wanted ? faultSystems.filter((s) => wanted.includes(s.id)) : faultSystems;
if (systems.length === 0) throw new Error(`no system matches --systems; known: ${faultSystems.map((s) => s.id).join(', ')}`);

const env = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  config,
};
console.log(`# Fault bench (${config.mode}) — ${env.date}, Node ${env.node}, ${env.cpu} × ${env.cores}, load ${env.loadAverageAtStart.join(' ')}`);
console.log(`systems: ${systems.map((s) => s.id).join(', ')}\n`);

const started = Date.now();
const results = await runFaults(systems, config, (line) => console.log(line));
console.log(`\n${renderFaults(results, config)}`);
console.log(`\ntotal ${Math.round((Date.now() - started) / 1000)} s`);

const dir = fileURLToPath(new URL('../../results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}faults.json`, `${JSON.stringify({ env, results }, null, 2)}\n`);
console.log(`written to ${dir}faults.json`);
// Lingering client reconnect timers of peers must not keep the process up.
process.exit(0);
