import { defineConfig } from 'tsup';

export default defineConfig({
  // The in-place decode and the one-walk encode stay modules of their own, imported as
  // `#superjson-in-place` and `#superjson-serialize` (package.json "imports"), so browsers resolve
  // them to their small variants (docs/bundle-size.md).
  entry: [
    'src/index.ts',
    'src/superjson-in-place.ts',
    'src/superjson-in-place.browser.ts',
    'src/superjson-serialize.ts',
    'src/superjson-serialize.browser.ts',
  ],
  external: ['#superjson-in-place', '#superjson-serialize'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
