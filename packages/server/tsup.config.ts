import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bun.ts', 'src/deno.ts', 'src/fetch.ts', 'src/node.ts', 'src/asyncapi.ts', 'src/otel.ts'],
  format: ['esm'],
  // `@internal` members (the ServerPeer surface its call and stream files use) stay out of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
