import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type AsyncApiDocument, type AsyncApiOptions, createAsyncApiDocument } from './asyncapi.js';
import { initDuplex } from './init.js';
import { createWsServer, type WsServerOptions } from './ws-server.js';

const d = initDuplex.create();
const router = d.router({ greet: d.procedure.input(z.string()).query(({ input }) => input) });

describe('createAsyncApiDocument and devtools types', () => {
  it('returns an AsyncApiDocument and requires info with title and version', () => {
    expectTypeOf(createAsyncApiDocument(router, { info: { title: 'T', version: '1' } })).toEqualTypeOf<AsyncApiDocument>();
    expectTypeOf<AsyncApiDocument['asyncapi']>().toEqualTypeOf<'3.0.0'>();
    // @ts-expect-error info.version is required
    createAsyncApiDocument(router, { info: { title: 'T' } });
    // @ts-expect-error protocol is ws or wss
    createAsyncApiDocument(router, { info: { title: 'T', version: '1' }, servers: { a: { host: 'h', protocol: 'http' } } });
    expectTypeOf<AsyncApiOptions['address']>().toEqualTypeOf<string | undefined>();
  });

  it('takes devtools with a token on the ws server and offers handleDevtools', () => {
    expectTypeOf<NonNullable<WsServerOptions<typeof router>['devtools']>['token']>().toEqualTypeOf<string>();
    // @ts-expect-error the token is required
    createWsServer({ router, devtools: {} });
    expectTypeOf(createWsServer({ router }).handleDevtools).returns.toEqualTypeOf<boolean>();
  });
});
