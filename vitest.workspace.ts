/**
 * The list of test projects. Vitest 4 no longer discovers workspace files, so
 * `npm test` runs `vitest run --config vitest.workspace.ts` and this file is the real config.
 */
import { defineConfig, defineProject } from 'vitest/config';

const conditions = ['@duplex/source'];

/** One project per package: unit tests beside the code, cross-package tests in test/. */
function pkg(name: string, dir: string, extra: { typecheck?: boolean; timeout?: number } = {}) {
  return defineProject({
    resolve: { conditions: [...conditions, 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: [...conditions, 'node', 'import', 'default'], externalConditions: conditions } },
    test: {
      name,
      root: dir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: extra.timeout ?? 15_000,
      ...(extra.typecheck
        ? { typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'], tsconfig: '../../tsconfig.json' } }
        : {}),
    },
  });
}

export default defineConfig({
  test: {
    projects: [
      pkg('core', 'packages/core', { typecheck: true }),
      pkg('server', 'packages/server', { typecheck: true }),
      pkg('client', 'packages/client', { typecheck: true }),
      pkg('test-utils', 'packages/test-utils'),
      pkg('example-chat', 'examples/chat', { timeout: 60_000 }),
      pkg('example-worker-jobs', 'examples/worker-jobs', { timeout: 60_000 }),
      pkg('pubsub', 'packages/pubsub', { typecheck: true, timeout: 30_000 }),
      pkg('tanstack-query', 'packages/tanstack-query', { typecheck: true }),
      pkg('example-todo', 'examples/todo'),
      pkg('example-react-todo', 'examples/react-todo', { timeout: 60_000 }),
      pkg('docs', 'docs'),
      pkg('bench', 'packages/bench', { timeout: 30_000 }),
    ],
  },
});
