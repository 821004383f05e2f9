/**
 * Type-aware lint, deliberately narrow: Biome (biome.json) does the rest. Only the rules that need
 * type information (promises, the exhaustive message union) plus the package import boundaries.
 */
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...new Set(builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`])))];
const notInTests = ['**/*.test.ts', '**/*.test-d.ts'];

/** One `no-restricted-imports` rule per package; each boundary is also written in docs/design-decisions.md. */
function boundary(files, paths, patterns = []) {
  return { files, ignores: notInTests, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } };
}

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/coverage/',
      'packages/bench/results/',
      '**/test-artifacts/',
      // JavaScript build/size scripts and tsup configs are outside tsconfig.json; Biome lints them.
      '**/*.js',
      '**/*.mjs',
      '**/*.d.mts',
      '**/tsup.config.ts',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: { allowDefaultProject: ['packages/pubsub/bench/*.ts'], defaultProject: 'tsconfig.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Elsewhere a `default` is a deliberate catch-all (typeof, method names).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // The peers switch on the wire-message union: a `default` there would hide a new message kind.
    files: ['packages/*/src/*-peer.ts'],
    rules: { '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }] },
  },
  boundary(
    ['packages/core/src/**/*.ts'],
    [
      ...['@duplex/server', '@duplex/client', '@duplex/pubsub', 'ws'].map((name) => ({ name, message: 'core has no I/O and depends on no other duplex package.' })),
      ...nodeBuiltins.map((name) => ({ name, message: 'core runs unchanged in browsers and workers: no Node built-ins.' })),
    ],
    [{ group: ['@duplex/pubsub/*', '@duplex/server/*', '@duplex/client/*'], message: 'core depends on no other duplex package.' }],
  ),
  boundary(
    ['packages/client/src/**/*.ts'],
    [
      { name: 'ws', allowTypeImports: true, message: 'the browser entry must not load ws: pass the WebSocket class in (createClient({ WebSocket })).' },
      { name: '@duplex/server', message: 'client and server never import each other; shared code lives in @duplex/core.' },
      ...nodeBuiltins.map((name) => ({ name, message: 'the client runs in browsers: no Node built-ins.' })),
    ],
    [{ group: ['@duplex/server/*'], message: 'client and server never import each other.' }],
  ),
  boundary(
    ['packages/server/src/**/*.ts'],
    [{ name: '@duplex/client', message: 'client and server never import each other; shared code lives in @duplex/core.' }],
    [{ group: ['@duplex/client/*'], message: 'client and server never import each other.' }],
  ),
);
