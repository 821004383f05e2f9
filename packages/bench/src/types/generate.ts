/**
 * The RPC styles whose type-check cost is compared. `floor` is plain functions typed with
 * `z.infer` (the schema's output type, for the handler and the caller alike); `validated` is the
 * same functions written the way a hand-rolled validated API must be: the caller's argument typed
 * with `z.input`, the handler's value from `schema.parse` (output type). Any RPC layer that types
 * the client's input correctly pays at least `validated`'s cost.
 */
export const VARIANTS = ['floor', 'validated', 'duplex', 'trpc', 'duplex-query', 'duplex-fetch', 'tanstack-fetch'] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * The variants on a duplex router and client that use TanStack Query per procedure (the `duplex`
 * router, so `duplex` is their "client alone" baseline):
 * - `duplex-query`: `queryClient.getQueryData(duplex.x.queryOptions(input).queryKey)` through
 *   `@duplex/tanstack-query` (the helpers' own cost, typed data read back from the cache);
 * - `duplex-fetch`: `await queryClient.fetchQuery(duplex.x.queryOptions(input))` (adds TanStack's
 *   `fetchQuery` overloads);
 * - `tanstack-fetch`: the same `fetchQuery` with options written by hand on the client alone
 *   (`{ queryKey, queryFn: () => client.x.query(input) }`), the cost without the helpers.
 * Subscriptions are subscribed through the client in all three.
 */
const QUERY_VARIANTS: readonly Variant[] = ['duplex-query', 'duplex-fetch', 'tanstack-fetch'];

/** Procedures per sub-router; every tenth procedure is a subscription. */
const PER_ROUTER = 10;

function isSubscription(index: number): boolean {
  return index % PER_ROUTER === PER_ROUTER - 1;
}

/** One zod schema per procedure, each with a field of its own so nothing is shared by accident. */
function schemasFile(count: number): string {
  const lines = ["import { z } from 'zod';", ''];
  for (let i = 0; i < count; i++) {
    lines.push(
      `export const s${i} = z.object({ id: z.number().int(), name: z.string().min(1), kind: z.enum(['a', 'b', 'c']), f${i}: z.array(z.string()).optional() });`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const handlerBody = (i: number) => `({ id: input.id, label: input.name, v${i}: input.kind })`;

function routerFile(variant: Variant, count: number): string {
  if (QUERY_VARIANTS.includes(variant)) return routerFile('duplex', count);
  const plain = variant === 'floor' || variant === 'validated';
  const imports = ["import * as s from './schemas.js';"];
  const groups: string[] = [];
  for (let g = 0; g * PER_ROUTER < count; g++) {
    const procs: string[] = [];
    for (let i = g * PER_ROUTER; i < Math.min(count, (g + 1) * PER_ROUTER); i++) {
      const sub = isSubscription(i);
      if (variant === 'floor') {
        procs.push(
          sub
            ? `    p${i}: async function* (input: z.infer<typeof s.s${i}>) { yield ${handlerBody(i)}; },`
            : `    p${i}: (input: z.infer<typeof s.s${i}>) => ${handlerBody(i)},`,
        );
      } else if (variant === 'validated') {
        const parse = `const input = s.s${i}.parse(raw);`;
        procs.push(
          sub
            ? `    p${i}: async function* (raw: z.input<typeof s.s${i}>) { ${parse} yield ${handlerBody(i)}; },`
            : `    p${i}: (raw: z.input<typeof s.s${i}>) => { ${parse} return ${handlerBody(i)}; },`,
        );
      } else {
        const b = variant === 'duplex' ? 'd' : 't';
        procs.push(
          sub
            ? `    p${i}: ${b}.procedure.input(s.s${i}).subscription(async function* ({ input }) { yield ${handlerBody(i)}; }),`
            : `    p${i}: ${b}.procedure.input(s.s${i}).query(({ input }) => ${handlerBody(i)}),`,
        );
      }
    }
    groups.push(plain ? `  g${g}: {\n${procs.join('\n')}\n  },` : `  g${g}: ${variant === 'duplex' ? 'd' : 't'}.router({\n${procs.join('\n')}\n  }),`);
  }
  if (plain) {
    imports.unshift("import type { z } from 'zod';");
    return `${imports.join('\n')}\n\nexport const api = {\n${groups.join('\n')}\n};\n`;
  }
  if (variant === 'duplex') {
    imports.unshift("import { initDuplex } from '@duplex/server';");
    return `${imports.join('\n')}\n\nconst d = initDuplex.create();\nexport const appRouter = d.router({\n${groups.join('\n')}\n});\nexport type AppRouter = typeof appRouter;\n`;
  }
  imports.unshift("import { initTRPC } from '@trpc/server';");
  return `${imports.join('\n')}\n\nconst t = initTRPC.create();\nexport const appRouter = t.router({\n${groups.join('\n')}\n});\nexport type AppRouter = typeof appRouter;\n`;
}

/** Calls every procedure and reads a field of each result, so every output type is computed. */
function clientFile(variant: Variant, count: number): string {
  if (QUERY_VARIANTS.includes(variant)) return queryClientFile(variant, count);
  const plain = variant === 'floor' || variant === 'validated';
  const head =
    plain
      ? "import { api } from './router.js';\nconst client = api;"
      : variant === 'duplex'
        ? "import { createClient } from '@duplex/client';\nimport type { AppRouter } from './router.js';\nconst client = createClient<AppRouter>({ url: 'ws://127.0.0.1:1' });"
        : "import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';\nimport type { AppRouter } from './router.js';\nconst client = createTRPCClient<AppRouter>({ links: [wsLink({ client: createWSClient({ url: 'ws://127.0.0.1:1' }) })] });";
  const calls: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = `client.g${Math.floor(i / PER_ROUTER)}.p${i}`;
    const input = `{ id: ${i}, name: 'n', kind: 'a' as const }`;
    if (isSubscription(i)) {
      calls.push(
        plain
          ? `  for await (const v of ${path}(${input})) out.push(v.v${i});`
          : `  ${path}.subscribe(${input}, { onData: (v) => out.push(v.v${i}) });`,
      );
    } else {
      calls.push(plain ? `  out.push(${path}(${input}).v${i});` : `  out.push((await ${path}.query(${input})).v${i});`);
    }
  }
  return `${head}\n\nexport async function useAll(): Promise<string[]> {\n  const out: string[] = [];\n${calls.join('\n')}\n  return out;\n}\n`;
}

/** Uses every procedure through TanStack Query (see {@link QUERY_VARIANTS}); subscriptions through the client. */
function queryClientFile(variant: Variant, count: number): string {
  const head = [
    "import { createClient } from '@duplex/client';",
    "import { createQueryUtils } from '@duplex/tanstack-query';",
    "import { QueryClient } from '@tanstack/query-core';",
    "import type { AppRouter } from './router.js';",
    "const client = createClient<AppRouter>({ url: 'ws://127.0.0.1:1' });",
    'const duplex = createQueryUtils<AppRouter>(client);',
    'const queryClient = new QueryClient();',
  ].join('\n');
  const calls: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = `g${Math.floor(i / PER_ROUTER)}.p${i}`;
    const input = `{ id: ${i}, name: 'n', kind: 'a' as const }`;
    if (isSubscription(i)) calls.push(`  client.${at}.subscribe(${input}, { onData: (v) => out.push(v.v${i}) });`);
    else if (variant === 'duplex-query') calls.push(`  out.push(queryClient.getQueryData(duplex.${at}.queryOptions(${input}).queryKey)?.v${i} ?? '');`);
    else if (variant === 'duplex-fetch') calls.push(`  out.push((await queryClient.fetchQuery(duplex.${at}.queryOptions(${input}))).v${i});`);
    else calls.push(`  out.push((await queryClient.fetchQuery({ queryKey: ['${at}', ${input}], queryFn: () => client.${at}.query(${input}) })).v${i});`);
  }
  return `${head}\n\nexport async function useAll(): Promise<string[]> {\n  const out: string[] = [];\n${calls.join('\n')}\n  return out;\n}\n`;
}

/** The files of one variant at one size, by name. */
export function generate(variant: Variant, count: number): Record<string, string> {
  return {
    // ES modules wherever the project is written: as CommonJS, `@tanstack/query-core` would resolve
    // to its `.d.cts` types for the project and its `.d.ts` for the helpers (two unrelated DataTags).
    'package.json': '{ "type": "module" }\n',
    'schemas.ts': schemasFile(count),
    'router.ts': routerFile(variant, count),
    'client.ts': clientFile(variant, count),
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          customConditions: ['@duplex/source'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['schemas.ts', 'router.ts', 'client.ts'],
      },
      null,
      2,
    )}\n`,
  };
}
