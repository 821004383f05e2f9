// Shared esbuild settings for the examples: bundle the workspace's own TypeScript sources
// (the `@duplex/source` export condition, so no `npm run build` first) and leave every
// third-party package to node_modules.

/** Keeps bare imports other than `@duplex/*` external (ws, zod, superjson, nanoid…); package `#imports` (core's `#superjson-in-place`) are bundled. */
export const externalDependencies = {
  name: 'external-dependencies',
  setup(build) {
    build.onResolve({ filter: /^[^./#]/ }, (args) => (args.path.startsWith('@duplex/') ? undefined : { path: args.path, external: true }));
  },
};

/** Options for a Node program (server or CLI) of an example. */
export function nodeProgram(entryPoints, outdir) {
  return {
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    conditions: ['@duplex/source'],
    plugins: [externalDependencies],
    logLevel: 'warning',
  };
}

/** Options for an example's front end: minified ESM for current browsers, with a source map. */
export function browserBundle(entryPoints, outdir) {
  return {
    entryPoints,
    outdir,
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@duplex/source'],
    logLevel: 'warning',
  };
}
