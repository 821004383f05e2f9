import { defineConfig } from 'tsup';

export default defineConfig({
  // The in-place decode stays a module of its own, imported as `#superjson-in-place` (package.json
  // "imports"), so browsers resolve it to the variant without it (docs/bundle-size.md).
  entry: ['src/index.ts', 'src/superjson-in-place.ts', 'src/superjson-in-place.browser.ts'],
  external: ['#superjson-in-place'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
