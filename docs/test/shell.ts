import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The environment for commands a user would type: this run's, minus what npm and vitest set for
 * the repository (`npm_*`, `INIT_CWD`, `VITEST*`, `NODE_OPTIONS`), plus npm settings that keep
 * installs quiet and quick (no audit, no fund, the cache first).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|INIT_CWD$|NODE_OPTIONS$|NODE_ENV$|TEST$)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

/** Runs a bash script in `cwd`; resolves with its stdout, rejects with all its output when it fails. */
export function sh(script: string, cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`\`${script.trim()}\` in ${cwd} exited with ${String(code)}:\n${output}`));
    });
  });
}

/** A long-running command (a server, an endless client): its stdout lines as they come, and a stop. */
export interface Running extends AsyncDisposable {
  /** Resolves with the next stdout line; rejects if the command exits first. */
  nextLine(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a bash command in its own process group, so stopping it stops `npx` and what it started. */
export function start(command: string, cwd: string, env: NodeJS.ProcessEnv): Running {
  const child: ChildProcess = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    await exited;
  };
  return {
    async nextLine() {
      const next = await lines.next();
      if (next.done) throw new Error(`\`${command}\` ended before printing the expected line:\n${stderr}`);
      return next.value;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
