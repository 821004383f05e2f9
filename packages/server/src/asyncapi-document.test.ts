import type { StandardSchemaV1 } from '@duplex/core';
import { type AsyncApiCheck, checkAsyncApi } from '@duplex/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAsyncApiDocument } from './asyncapi.js';
import { streamOf } from '@duplex/core';
import { initDuplex } from './init.js';

const d = initDuplex.create();

interface TreeNode {
  name: string;
  children: TreeNode[];
}
const treeNode: z.ZodType<TreeNode> = z.lazy(() => z.object({ name: z.string(), children: z.array(treeNode) }));

/** A Standard Schema from a library without a JSON Schema converter. */
const opaque: StandardSchemaV1<string> = {
  '~standard': {
    version: 1,
    vendor: 'hand-made',
    validate: (value) => (typeof value === 'string' ? { value } : { issues: [{ message: 'expected a string' }] }),
  },
};

const router = d.router({
  greet: d.procedure
    .input(z.object({ name: z.string().min(1), times: z.number().int().default(1) }))
    .output(z.string())
    .query(({ input }) => `Hello ${input.name}`),
  now: d.procedure.query(() => new Date()),
  post: d.router({
    add: d.procedure.input(z.object({ text: z.string().max(280), at: z.date().optional() })).mutation(() => ({ ok: true })),
    admin: d.router({ purge: d.procedure.mutation(() => 0) }),
  }),
  onTick: d.procedure
    .input(z.object({ every: z.enum(['second', 'minute']) }).optional())
    .output(z.object({ n: z.number() }))
    .subscription(async function* () {
      yield { n: 1 };
    }),
  tree: d.procedure.input(treeNode).query(({ input }) => input.name),
  opaque: d.procedure.input(opaque).query(({ input }) => input),
  'odd key!': d.procedure.query(() => 1),
  upload: d.procedure.input(streamOf(z.object({ chunk: z.string() }))).mutation(async ({ input }) => {
    let n = 0;
    for await (const _ of input) n++;
    return n;
  }),
  tokens: d.procedure
    .input(z.object({ prompt: z.string() }))
    .output(streamOf(z.string()))
    .query(async function* () {
      yield 'a';
    }),
});

describe('createAsyncApiDocument', () => {
  const document = createAsyncApiDocument(router, {
    info: { title: 'Test API', version: '1.2.3', description: 'for tests' },
    servers: { local: { host: 'localhost:3000', protocol: 'ws', pathname: '/rpc' } },
  });
  const lazyNode: z.ZodType<TreeNode> = z.lazy(() => z.object({ name: z.string(), children: z.array(lazyNode) }));
  const nested = createAsyncApiDocument(d.router({ walk: d.procedure.input(z.object({ root: lazyNode })).query(() => 1) }), {
    info: { title: 'Nested', version: '1' },
  });
  const empty = createAsyncApiDocument(d.router({}), { info: { title: 'Empty', version: '0.0.0' } });
  // Procedures named like the connection-level operations, and two keys that sanitise alike.
  const clashing = createAsyncApiDocument(
    d.router({
      ping: d.procedure.query(() => 'pong'),
      hello: d.procedure.subscription(async function* () {
        yield 1;
      }),
      'a b': d.procedure.query(() => 1),
      'a!b': d.procedure.query(() => 2),
    }),
    { info: { title: 'Clashing', version: '1' } },
  );
  // The same document with one operation naming a channel that does not exist: the checker must
  // report it, or a pass would mean nothing.
  const broken = structuredClone(document);
  if (broken.operations.greet) broken.operations.greet.channel = { $ref: '#/channels/missing' };
  let checked: AsyncApiCheck;
  let checkedNested: AsyncApiCheck;
  let checkedEmpty: AsyncApiCheck;
  let checkedBroken: AsyncApiCheck;
  let checkedClashing: AsyncApiCheck;
  beforeAll(async () => {
    [checked, checkedNested, checkedEmpty, checkedBroken, checkedClashing] = (await checkAsyncApi(
      document,
      nested,
      empty,
      broken,
      clashing,
    )) as [AsyncApiCheck, AsyncApiCheck, AsyncApiCheck, AsyncApiCheck, AsyncApiCheck];
  }, 60_000);

  it('is a valid AsyncAPI 3.0 document with zero error diagnostics', () => {
    expect(checked.errors).toEqual([]);
    expect(checked.version).toBe('3.0.0');
    expect(checked.title).toBe('Test API');
    expect(checked.channels).toEqual({ duplex: '/rpc' });
  });

  it('makes queries and mutations receive operations with a reply of result or error', () => {
    for (const id of ['greet', 'now', 'post.add', 'post.admin.purge', 'tree', 'opaque']) {
      expect(checked.operations[id], id).toEqual({ action: 'receive', messages: [`${id}.call`, 'cancel'], reply: [`${id}.result`, 'error'] });
    }
    expect(document.operations['post.add']?.tags).toEqual([{ name: 'mutation' }]);
    expect(document.operations.greet?.tags).toEqual([{ name: 'query' }]);
  });

  it('makes a subscription a send operation of its events, started by a receive of its sub message', () => {
    expect(checked.operations.onTick).toEqual({ action: 'send', messages: ['onTick.data', 'done', 'error'], reply: null });
    expect(checked.operations['onTick.subscribe']).toEqual({ action: 'receive', messages: ['onTick.sub', 'cancel'], reply: null });
    const data = document.components.messages['onTick.data']?.payload as { properties: Record<string, unknown> };
    expect(data.properties.data).toEqual({ type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false });
  });

  it('describes the connection-level messages', () => {
    expect(checked.operations.hello).toEqual({ action: 'receive', messages: ['hello'], reply: ['ready'] });
    expect(checked.operations.ping).toEqual({ action: 'receive', messages: ['ping'], reply: ['pong'] });
    expect(checked.operations.goaway).toEqual({ action: 'send', messages: ['goaway'], reply: null });
  });

  it("puts each procedure's zod schema in its wire envelope, with path and kind fixed", () => {
    const call = document.components.messages['greet.call']?.payload as { properties: Record<string, unknown>; required: string[] };
    expect(call.properties.t).toEqual({ const: 'call' });
    expect(call.properties.kind).toEqual({ const: 'query' });
    expect(call.properties.path).toEqual({ const: 'greet' });
    expect(call.properties.input).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, times: { type: 'integer', default: 1 } },
      required: ['name'],
    });
    expect(call.required).toEqual(['t', 'id', 'kind', 'path', 'input']);
    const result = document.components.messages['greet.result']?.payload as { properties: Record<string, unknown> };
    expect(result.properties.data).toEqual({ type: 'string' });
    expect(checked.inputProperties['greet.call']).toEqual(['name', 'times']);
  });

  it('leaves input out of a procedure without one and marks an optional input as not required', () => {
    const now = document.components.messages['now.call']?.payload as { properties: Record<string, unknown>; required: string[] };
    expect(now.properties.input).toBeUndefined();
    expect(now.required).toEqual(['t', 'id', 'kind', 'path']);
    const sub = document.components.messages['onTick.sub']?.payload as { properties: Record<string, unknown>; required: string[] };
    expect(sub.required).toEqual(['t', 'id', 'path']);
    expect(sub.properties.input).toBeDefined();
    const purge = document.components.messages['post.admin.purge.call']?.payload as { properties: Record<string, unknown> };
    expect(purge.properties.kind).toEqual({ const: 'mutation' });
    expect(purge.properties.seq).toBeDefined();
  });

  it('moves a recursive schema into components.schemas and points its refs there', () => {
    const call = document.components.messages['tree.call']?.payload as { properties: { input: unknown } };
    expect(call.properties.input).toEqual({ $ref: '#/components/schemas/tree.input' });
    expect(JSON.stringify(document.components.schemas['tree.input'])).toContain('"$ref":"#/components/schemas/tree.input"');
    // The parser resolved the refs: the recursive node's fields are reachable.
    expect(checked.inputProperties['tree.call']).toEqual(['name', 'children']);
  });

  it('hoists shared definitions of a nested recursive schema under the procedure', () => {
    const text = JSON.stringify(nested);
    expect(text).not.toContain('#/definitions/');
    expect(Object.keys(nested.components.schemas).every((key) => key.startsWith('walk.input.'))).toBe(true);
    expect(checkedNested.errors).toEqual([]);
    expect(checkedNested.inputProperties['walk.call']).toEqual(['root']);
  });

  it('falls back to an any-schema with a note for a schema that has no JSON Schema converter', () => {
    const call = document.components.messages['opaque.call']?.payload as { properties: Record<string, { description?: string }> };
    expect(call.properties.input?.description).toMatch(/hand-made schema has no Standard JSON Schema converter/);
  });

  it('turns what JSON Schema cannot express (a Date) into an any-schema rather than failing', () => {
    const add = document.components.messages['post.add.call']?.payload as { properties: { input: { properties: Record<string, unknown> } } };
    expect(add.properties.input.properties.at).toEqual({});
    expect(add.properties.input.properties.text).toEqual({ type: 'string', maxLength: 280 });
  });

  it('gives keys AsyncAPI refuses a valid component name', () => {
    expect(document.operations.odd_key_?.title).toBe('odd key!');
  });

  it('states the codec the payloads are shown in', () => {
    expect(document.info.description).toContain('for tests');
    expect(document.info.description).toContain('`json` codec');
  });

  it('validates for a router with no procedures and no servers', () => {
    expect(checkedEmpty.errors).toEqual([]);
    expect(empty.channels.duplex?.address).toBe('/');
    expect(Object.keys(empty.operations)).toEqual(['hello', 'ping', 'goaway']);
  });

  it('never lets a procedure replace a connection-level operation or another procedure', () => {
    expect(checkedClashing.errors).toEqual([]);
    expect(checkedClashing.operations.ping).toEqual({ action: 'receive', messages: ['ping'], reply: ['pong'] });
    expect(checkedClashing.operations.ping_2).toEqual({ action: 'receive', messages: ['ping.call', 'cancel'], reply: ['ping.result', 'error'] });
    expect(checkedClashing.operations.hello?.reply).toEqual(['ready']);
    expect(checkedClashing.operations.hello_2).toEqual({ action: 'send', messages: ['hello.data', 'done', 'error'], reply: null });
    expect(checkedClashing.operations['hello.subscribe']?.messages).toEqual(['hello.sub', 'cancel']);
    expect([clashing.operations.a_b?.title, clashing.operations.a_b_2?.title].sort()).toEqual(['a b', 'a!b']);
  });

  it('describes client streams and streamed results with their item schemas (protocol.md §7.2)', () => {
    expect(checked.operations.upload).toEqual({
      action: 'receive',
      messages: ['upload.call', 'upload.inputItem', 'done', 'cancel'],
      reply: ['upload.result', 'credit', 'error'],
    });
    const call = document.components.messages['upload.call']?.payload as { properties: Record<string, unknown>; required: string[] };
    expect(call.properties.input).toBeUndefined();
    expect(call.required).toEqual(['t', 'id', 'kind', 'path', 'stream']);
    const item = document.components.messages['upload.inputItem']?.payload as { properties: Record<string, unknown> };
    expect(item.properties.t).toEqual({ const: 'data' });
    expect(item.properties.data).toMatchObject({ type: 'object', properties: { chunk: { type: 'string' } } });

    expect(checked.operations.tokens).toEqual({
      action: 'receive',
      messages: ['tokens.call', 'credit', 'cancel'],
      reply: ['tokens.result', 'tokens.outputItem', 'done', 'error'],
    });
    const result = document.components.messages['tokens.result']?.payload as { properties: Record<string, unknown>; required: string[] };
    expect(result.required).toEqual(['t', 'id', 'stream']);
    expect(result.properties.data).toBeUndefined();
    const out = document.components.messages['tokens.outputItem']?.payload as { properties: Record<string, unknown> };
    expect(out.properties.data).toEqual({ type: 'string' });
  });

  it('is checked by a validator that does report a broken document', () => {
    expect(checkedBroken.errors.length).toBeGreaterThan(0);
  });
});
