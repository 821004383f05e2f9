import os from 'node:os';
import type { BenchConfig } from './config.js';
import { canPin } from './workers.js';

/** Where and how a run happened, printed above the tables and stored in latest.json. */
export function environment(config: BenchConfig) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    pinned: canPin() ? 'server processes on core 0, load generators on core 1' : 'not pinned',
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
    duplexFrom: process.argv.includes('--source') ? 'src via tsx' : 'dist built with tsup',
    mode: config.mode,
    config,
  };
}
export type Environment = ReturnType<typeof environment>;
