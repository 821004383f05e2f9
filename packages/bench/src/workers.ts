import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Ipc } from './ipc.js';
import type { ServerRuntime } from './system.js';

/** A forked bench process and its request channel. */
export interface Worker {
  child: ChildProcess;
  ipc: Ipc;
}

/** Core of the server processes; load generators run on the other one. */
export const SERVER_CORE = 0;
export const CLIENT_CORE = 1;

/** Whether server and load generator get a core each (needs two cores and `taskset`). */
export function canPin(): boolean {
  if (os.availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function pin(pid: number | undefined, core: number): void {
  if (pid === undefined || !canPin()) return;
  // `-a`: every thread the process has now; threads it starts later inherit the mask.
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

/**
 * `--source` runs duplex from its TypeScript sources (no build step, but through tsx's
 * keepNames transform); by default workers load the built dist like a user would.
 */
const fromSources = process.argv.includes('--source');

const binDir = fileURLToPath(new URL('../../../node_modules/.bin/', import.meta.url));

/**
 * How each runtime runs a bench file. Bun and Deno come from the npm packages `bun` and `deno`
 * (root devDependencies) and run TypeScript themselves; both speak Node's fork IPC channel.
 * Deno needs `--sloppy-imports` for the sources' `./x.js` imports of `./x.ts`.
 */
function command(runtime: ServerRuntime, extraArgs: string[], source: boolean): { execPath: string; execArgv: string[] } {
  const conditions = source ? ['--conditions=@duplex/source'] : [];
  switch (runtime) {
    case 'node':
      return { execPath: process.execPath, execArgv: [...conditions, '--import', 'tsx', '--expose-gc', ...extraArgs] };
    case 'bun':
      return { execPath: `${binDir}bun`, execArgv: [...conditions] };
    case 'deno':
      return {
        execPath: `${binDir}deno`,
        execArgv: ['run', '-A', '--node-modules-dir=manual', '--sloppy-imports', '--v8-flags=--expose-gc', ...conditions],
      };
  }
}

/** Options of {@link spawnWorker}. */
export interface SpawnOptions {
  /** Core to pin the process to. */
  core: number;
  /** Extra Node flags (e.g. `--cpu-prof`); ignored on Bun and Deno. @default [] */
  extraArgs?: string[];
  /** @default 'node' */
  runtime?: ServerRuntime;
  /** Load duplex from its TypeScript sources instead of dist. @default whether the bench got `--source` */
  source?: boolean;
}

/** Forks `file` (relative to this directory) under its runtime: on Node with tsx and `--expose-gc`. */
export function spawnWorker(file: string, opts: SpawnOptions): Worker {
  const { core, extraArgs = [], runtime = 'node', source = fromSources } = opts;
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    ...command(runtime, extraArgs, source),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(child.pid, core);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return { child, ipc: new Ipc(child) };
}

const live = new Set<ChildProcess>();

/** Kills every worker still running (on Ctrl-C: a worker busy draining a fan-out backlog would not see the disconnect). */
export function killAllWorkers(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** Disconnects the worker (it exits on disconnect) and kills it if it has not exited in 5 s. */
export async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  if (worker.child.connected) worker.child.disconnect();
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
