/**
 * `npm run bench:types [-- --sizes=100,500,1000] [--variants=duplex,duplex-query]`: generates routers of N zod-typed procedures
 * (10 per sub-router, every tenth a subscription) plus a client calling each one, for duplex,
 * tRPC and a floor of plain typed functions, and reports `tsc --extendedDiagnostics` figures.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Diagnostics, diagnose, tscPath as tsc, writeProject } from './diagnose.js';
import { type Variant, VARIANTS } from './generate.js';

const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length) ?? '100,500,1000').split(',').map(Number);
const only = process.argv.find((a) => a.startsWith('--variants='))?.slice('--variants='.length).split(',');
const variants = VARIANTS.filter((v) => !only || only.includes(v) || v === 'floor');
const root = fileURLToPath(new URL('../../results/types/', import.meta.url));

const results: Array<{ size: number; variant: Variant } & Diagnostics> = [];
rmSync(root, { recursive: true, force: true });
for (const size of sizes) {
  for (const variant of variants) {
    const dir = `${root}${variant}-${size}/`;
    writeProject(dir, variant, size);
    const diagnostics = await diagnose(dir);
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
  for (const variant of variants) {
    // The TanStack Query variants run on the duplex router and client: their baseline is `duplex`.
    const vsClient = variant.includes('-') && variants.includes('duplex') ? `, ${(slope(variant) / slope('duplex')).toFixed(2)}× duplex client alone` : '';
    lines.push(`- ${variant}: ${slope(variant).toFixed(0)} per procedure (${(slope(variant) / slope('floor')).toFixed(2)}× floor${vsClient})`);
  }
}
process.stdout.write(`\n${lines.join('\n')}\n`);
writeFileSync(`${root}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
