import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'memory/index': 'src/memory/index.ts', 'redis/index': 'src/redis/index.ts', 'nats/index': 'src/nats/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['redis', 'nats'],
});
