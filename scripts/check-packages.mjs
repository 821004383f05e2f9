// `npm run check:packages`: checks what users install. Packs every publishable package exactly as
// `npm run pack` does (scripts/pack.mjs: tsup, then `npm pack` into packed/), then runs publint
// (package.json against the packed files) and attw (types as TypeScript resolves them, ESM-only
// profile: CommonJS `require` is not supported by design) on each tarball. Exits non-zero on any problem.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packAll } from './pack.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;

function run(label, command, args) {
  console.log(`\n$ ${label}`);
  return spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status === 0;
}

let packages;
try {
  packages = packAll();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const failures = [];
for (const { name, tarball } of packages) {
  if (!run(`${name}: publint --strict`, bin('publint'), ['run', tarball, '--strict'])) failures.push(`${name}: publint`);
  if (!run(`${name}: attw --profile esm-only`, bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'])) {
    failures.push(`${name}: attw`);
  }
}

if (failures.length > 0) {
  console.error(`\ncheck:packages failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log(`\ncheck:packages: ${packages.map((pkg) => pkg.name).join(', ')} pass publint and attw (esm-only)`);
