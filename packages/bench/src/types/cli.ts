/**
 * `npm run bench:types [-- --sizes=100,500,1000]`: generates routers of N zod-typed procedures
 * (10 per sub-router, every tenth a subscription) plus a client calling each one, for duplex,
 * tRPC and a floor of plain typed functions, and reports `tsc --extendedDiagnostics` figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generate, type Variant, VARIANTS } from './generate.js';

interface Diagnostics {
  instantiations: number;
  types: number;
  memoryKB: number;
  checkTimeS: number;
}

const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length) ?? '100,500,1000').split(',').map(Number);
const root = fileURLToPath(new URL('../../results/types/', import.meta.url));
const tsc = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));

function diagnose(dir: string): Diagnostics {
  let output: string;
  try {
    output = execFileSync(process.execPath, [tsc, '-p', dir, '--extendedDiagnostics'], { encoding: 'utf8' });
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`tsc reported errors in ${dir}:\n${stdout.split('\n').slice(0, 10).join('\n')}`);
  }
  const read = (label: string) => {
    const match = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(output);
    if (!match) throw new Error(`no "${label}" in tsc output`);
    return Number(match[1]);
  };
  return { instantiations: read('Instantiations'), types: read('Types'), memoryKB: read('Memory used'), checkTimeS: read('Check time') };
}

const results: Array<{ size: number; variant: Variant } & Diagnostics> = [];
rmSync(root, { recursive: true, force: true });
for (const size of sizes) {
  for (const variant of VARIANTS) {
    const dir = `${root}${variant}-${size}/`;
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(generate(variant, size))) writeFileSync(dir + name, text);
    const diagnostics = diagnose(dir);
    results.push({ size, variant, ...diagnostics });
    process.stderr.write(`  ${variant} ${size}: ${JSON.stringify(diagnostics)}\n`);
  }
}

const lines = [
  `### type-check cost (tsc ${execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' }).trim()}, ${new Date().toISOString()})`,
  '',
  '| procedures | system | instantiations | × floor | types | × floor | memory MB | check s |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const row of results) {
  const floor = results.find((r) => r.size === row.size && r.variant === 'floor');
  const ratio = (key: 'instantiations' | 'types') => (floor ? `${(row[key] / floor[key]).toFixed(2)}×` : '–');
  lines.push(
    `| ${row.size} | ${row.variant} | ${row.instantiations.toLocaleString('en-US')} | ${ratio('instantiations')} | ${row.types.toLocaleString('en-US')} | ${ratio('types')} | ${(row.memoryKB / 1024).toFixed(0)} | ${row.checkTimeS.toFixed(2)} |`,
  );
}
// Fixed costs (checking a framework's own sources or .d.ts) dominate small routers; the
// per-procedure slope between the smallest and largest size is what grows with an app.
const [low, high] = [Math.min(...sizes), Math.max(...sizes)];
if (low !== high) {
  lines.push('', `per-procedure instantiations, slope from ${low} to ${high} procedures:`, '');
  const slope = (variant: Variant) => {
    const a = results.find((r) => r.size === low && r.variant === variant);
    const b = results.find((r) => r.size === high && r.variant === variant);
    return a && b ? (b.instantiations - a.instantiations) / (high - low) : Number.NaN;
  };
  for (const variant of VARIANTS) lines.push(`- ${variant}: ${slope(variant).toFixed(0)} per procedure (${(slope(variant) / slope('floor')).toFixed(2)}× floor)`);
}
process.stdout.write(`\n${lines.join('\n')}\n`);
writeFileSync(`${root}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
