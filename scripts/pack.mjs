// `npm run pack`: builds every publishable package (each packages/* without `"private": true`) with
// its tsup config and packs it with `npm pack` into packed/ (git-ignored), one tarball per package
// named without its version (`packed/duplex-server.tgz`), so install commands in the docs stay
// valid across releases. A dist/ this script created is removed afterwards, unless `--keep-dist`
// (the release script publishes from the package folders, so it needs them).
// As a module: `packAll()` returns the tarballs (check-packages.mjs and the docs test use it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
/** Where the tarballs go. */
export const PACKED_DIR = `${root}packed`;

/** The publishable packages: `{ name, dir, tarball }`, sorted by name. */
export function publishablePackages() {
  const found = [];
  for (const entry of readdirSync(`${root}packages`, { withFileTypes: true })) {
    const dir = `${root}packages/${entry.name}`;
    if (!entry.isDirectory() || !existsSync(`${dir}/package.json`)) continue;
    const manifest = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    if (manifest.private) continue;
    found.push({ name: manifest.name, dir, manifest, tarball: `${PACKED_DIR}/${manifest.name.replace('@', '').replace('/', '-')}.tgz` });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Problems npm would not catch: a published package must name a real range for its siblings. */
function rangeProblems(packages) {
  const names = new Set(packages.map((pkg) => pkg.name));
  const problems = [];
  for (const { name, manifest } of packages) {
    for (const field of ['dependencies', 'peerDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (dep.startsWith('@duplex/') && !names.has(dep)) problems.push(`${name} ${field} names ${dep}, which is private`);
        else if (names.has(dep) && (range === '*' || range === 'latest')) {
          problems.push(`${name} ${field} names ${dep}@"${range}": give a range such as "^${packages.find((p) => p.name === dep)?.manifest.version}"`);
        }
      }
    }
  }
  return problems;
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}`);
  return result.stdout;
}

/** Builds and packs every publishable package; returns them with their tarball paths. */
export function packAll({ log = console.log, keepDist = false } = {}) {
  const packages = publishablePackages();
  const problems = rangeProblems(packages);
  if (problems.length > 0) throw new Error(`cannot pack:\n  ${problems.join('\n  ')}`);
  // Start empty, so packed/ never offers a tarball of a package that is gone or was renamed.
  rmSync(PACKED_DIR, { recursive: true, force: true });
  mkdirSync(PACKED_DIR, { recursive: true });
  const created = [];
  try {
    for (const pkg of packages) {
      if (!keepDist && !existsSync(`${pkg.dir}/dist`)) created.push(`${pkg.dir}/dist`);
      run(`${root}node_modules/.bin/tsup`, ['--silent'], pkg.dir);
      const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', PACKED_DIR], pkg.dir));
      renameSync(`${PACKED_DIR}/${packed.filename.replace(/^.*\//, '')}`, pkg.tarball);
      log(`${pkg.name}@${pkg.manifest.version} → ${pkg.tarball.slice(root.length)} (${packed.entryCount} files, ${(packed.size / 1024).toFixed(1)} KB)`);
    }
  } finally {
    for (const dist of created) rmSync(dist, { recursive: true, force: true });
  }
  return packages;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    packAll({ keepDist: process.argv.includes('--keep-dist') });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
