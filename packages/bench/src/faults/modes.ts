/**
 * The extra modes of `npm run bench:faults`: `--mode=counter` (exactly-once under faults, every
 * system) and `--mode=rotation` (credential renewal on a live connection, duplex).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { findRedis } from '@duplex/test-utils';
import { type CounterResult, quickCounter, renderCounter, runCounter } from './counter.js';
import { counterSystems } from './counter-systems.js';
import { renderRotation, runRotation } from './rotation.js';

function header(title: string): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const load = os.loadavg().map((n) => Math.round(n * 100) / 100);
  console.log(`# ${title} — ${new Date().toISOString()}, Node ${process.version}, ${cpu} × ${os.cpus().length}, load ${load.join(' ')}\n`);
}

function write(name: string, body: unknown): void {
  const dir = fileURLToPath(new URL('../../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}${name}`, `${JSON.stringify(body, null, 2)}\n`);
  console.log(`written to ${dir}${name}`);
}

export async function runMode(mode: string, options: { systems: string[] | undefined; seconds: number }): Promise<void> {
  const started = Date.now();
  if (mode === 'counter') {
    const redis = await findRedis();
    if (!redis.url) throw new Error(`--mode=counter needs Redis: ${redis.missing ?? 'not found'}`);
    const systems = options.systems ? counterSystems.filter((s) => options.systems?.includes(s.id)) : counterSystems;
    header(`Fault bench, counter mode (${quickCounter.mutations} mutations; ${quickCounter.cuts} cuts, ${quickCounter.stalls} stall of ${quickCounter.stallMs / 1000} s, ${quickCounter.kills} SIGKILLs)`);
    const results: CounterResult[] = [];
    for (const system of systems) {
      console.log(`${system.label}:`);
      results.push(await runCounter(system, quickCounter, redis.url, (line) => console.log(line)));
    }
    console.log(`\n${renderCounter(results)}\n\ntotal ${Math.round((Date.now() - started) / 1000)} s`);
    write('faults-counter.json', { config: quickCounter, results });
    return;
  }
  if (mode === 'rotation') {
    header(`Fault bench, rotation mode (${options.seconds} s)`);
    const result = await runRotation({ durationMs: options.seconds * 1000 });
    console.log(`\n${renderRotation(result)}\n\ntotal ${Math.round((Date.now() - started) / 1000)} s`);
    write('faults-rotation.json', result);
    return;
  }
  throw new Error(`unknown --mode=${mode}; known: counter, rotation`);
}
