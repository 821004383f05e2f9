import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The bare packages an entry imports when bundled as an app would (duplex's own packages followed, everything else left out). */
async function importedPackages(entry: string): Promise<string[]> {
  const seen = new Set<string>();
  const record: Plugin = {
    name: 'record-packages',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@duplex/')) return undefined;
        seen.add(args.path);
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    conditions: ['@duplex/source'],
    plugins: [record],
    logLevel: 'silent',
  });
  return [...seen].sort();
}

describe('@opentelemetry/api is optional: only the /otel subpaths import it', () => {
  it.each([
    '@duplex/server',
    '@duplex/server/node',
    '@duplex/server/bun',
    '@duplex/server/deno',
    '@duplex/server/fetch',
    '@duplex/client',
    '@duplex/client/http',
    '@duplex/client/binary',
  ])('%s imports nothing from @opentelemetry', async (entry) => {
    expect((await importedPackages(entry)).filter((name) => name.startsWith('@opentelemetry'))).toEqual([]);
  });

  it.each(['@duplex/server/otel', '@duplex/client/otel'])('%s imports @opentelemetry/api alone', async (entry) => {
    expect((await importedPackages(entry)).filter((name) => name.startsWith('@opentelemetry'))).toEqual(['@opentelemetry/api']);
  });
});
