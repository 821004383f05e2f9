import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bun.ts', 'src/deno.ts', 'src/fetch.ts', 'src/node.ts', 'src/asyncapi.ts', 'src/otel.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
