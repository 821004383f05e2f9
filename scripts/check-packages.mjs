// Checks what users install: builds each publishable package with its own tsup config, then runs
// publint (package.json against the packed files) and attw (types as TypeScript resolves them,
// ESM-only profile: CommonJS `require` is not supported by design). Exits non-zero on any problem.
// A dist this script created is removed afterwards; one that was there before (e.g. from the bench)
// is left rebuilt. Do not run it while `npm run bench` builds the same dist folders.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
/** The published packages, in dependency order. */
const PACKAGES = ['core', 'server', 'client', 'pubsub', 'tanstack-query'];

function run(label, command, args, cwd) {
  console.log(`\n$ ${label}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  return result.status === 0;
}

const bin = (name) => `${root}node_modules/.bin/${name}`;
const failures = [];
const created = [];
try {
  for (const name of PACKAGES) {
    const dir = `${root}packages/${name}`;
    if (!existsSync(`${dir}/dist`)) created.push(`${dir}/dist`);
    if (!run(`@duplex/${name}: tsup`, bin('tsup'), ['--silent'], dir)) failures.push(`${name}: build`);
  }
  for (const name of PACKAGES) {
    const dir = `${root}packages/${name}`;
    if (!run(`@duplex/${name}: publint --strict`, bin('publint'), ['run', dir, '--strict'], root)) failures.push(`${name}: publint`);
    if (!run(`@duplex/${name}: attw --pack --profile esm-only`, bin('attw'), ['--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped'], root)) {
      failures.push(`${name}: attw`);
    }
  }
} finally {
  for (const dist of created) rmSync(dist, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\ncheck:packages failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log(`\ncheck:packages: ${PACKAGES.map((name) => `@duplex/${name}`).join(', ')} pass publint and attw (esm-only)`);
