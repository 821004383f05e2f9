import { CloseCode } from '@duplex/core';
import { DuplexError } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it } from 'vitest';
import { router, type TestRouter } from './fixtures.js';
import { openRaw, upgradeOutcome } from './raw-socket.js';

const anon = { createContext: () => ({ user: null }) };

describe('cross-site WebSocket hijacking (Origin)', () => {
  it('by default accepts origin-less and same-origin clients and refuses other pages with 403', async () => {
    await using srv = await startServer(router, anon);
    const host = `127.0.0.1:${srv.port}`;
    expect((await upgradeOutcome(srv.url)).status).toBe(101);
    expect((await upgradeOutcome(srv.url, { origin: `http://${host}` })).status).toBe(101);
    const refused = await upgradeOutcome(srv.url, { origin: 'https://evil.example' });
    expect(refused).toEqual({ status: 403, body: 'origin not allowed\n' });
    expect((await upgradeOutcome(srv.url, { origin: `http://${host}.evil.example` })).status).toBe(403);
    expect((await upgradeOutcome(srv.url, { origin: 'null' })).status).toBe(403);
    expect(srv.server.stats().connections).toBe(0);
  });

  it('honours an allowedOrigins list', async () => {
    await using srv = await startServer(router, { ...anon, allowedOrigins: ['https://app.example'] });
    expect((await upgradeOutcome(srv.url, { origin: 'https://app.example' })).status).toBe(101);
    expect((await upgradeOutcome(srv.url, { origin: 'https://app.example.evil' })).status).toBe(403);
    expect((await upgradeOutcome(srv.url, { origin: `http://127.0.0.1:${srv.port}` })).status).toBe(403);
  });

  it('refuses (403) when the allowedOrigins predicate throws on a garbage Origin, and keeps serving', async () => {
    await using srv = await startServer(router, {
      ...anon,
      allowedOrigins: (origin) => new URL(origin).hostname.endsWith('.trusted.example'),
    });
    expect(await upgradeOutcome(srv.url, { origin: 'not a url' })).toEqual({ status: 403, body: 'origin not allowed\n' });
    expect((await upgradeOutcome(srv.url, { origin: 'https://a.trusted.example' })).status).toBe(101);
  });

  it('honours an allowedOrigins predicate and passes it the request', async () => {
    const seen: string[] = [];
    await using srv = await startServer(router, {
      ...anon,
      allowedOrigins: (origin, request) => {
        seen.push(`${origin} ${request.headers['x-app'] ?? ''}`);
        return origin.endsWith('.trusted.example');
      },
    });
    expect((await upgradeOutcome(srv.url, { origin: 'https://a.trusted.example', headers: { 'x-app': '1' } })).status).toBe(101);
    expect((await upgradeOutcome(srv.url, { origin: 'https://trusted.example.evil' })).status).toBe(403);
    expect(seen).toEqual(['https://a.trusted.example 1', 'https://trusted.example.evil ']);
  });
});

describe('authentication', () => {
  it('verifyUpgrade refuses with 403 (false) or 401 (UNAUTHORIZED) before upgrading', async () => {
    await using srv = await startServer(router, {
      ...anon,
      verifyUpgrade: ({ request }) => {
        const cookie = request.headers.cookie ?? '';
        if (!cookie.includes('session=')) throw new DuplexError({ code: 'UNAUTHORIZED', message: 'no session' });
        return cookie.includes('session=good');
      },
    });
    expect(await upgradeOutcome(srv.url)).toEqual({ status: 401, body: 'no session\n' });
    expect((await upgradeOutcome(srv.url, { headers: { cookie: 'session=bad' } })).status).toBe(403);
    expect((await upgradeOutcome(srv.url, { headers: { cookie: 'session=good' } })).status).toBe(101);
  });

  it('verifyUpgrade throwing anything else answers 500 without its message', async () => {
    await using srv = await startServer(router, {
      ...anon,
      verifyUpgrade: () => {
        throw new Error('db at 10.0.0.5 down');
      },
    });
    expect(await upgradeOutcome(srv.url)).toEqual({ status: 500, body: 'upgrade verification failed\n' });
  });

  it.each([
    ['UNAUTHORIZED', CloseCode.UNAUTHORIZED],
    ['FORBIDDEN', CloseCode.FORBIDDEN],
  ] as const)('createContext throwing %s closes with %i and pending calls fail with that typed error', async (code, closeCode) => {
    await using srv = await startServer(router, {
      createContext: ({ connectionParams }) => {
        if (connectionParams?.token !== 'ok') throw new DuplexError({ code, message: 'bad token' });
        return { user: 'ada' };
      },
    });
    const raw = await openRaw(srv.url);
    raw.send({ t: 'hello', v: 1, codec: 'json', params: { token: 'nope' } });
    expect(await raw.closed).toEqual({ code: closeCode, reason: 'bad token' });

    const client = srv.client<TestRouter>({ connectionParams: { token: 'nope' } });
    const error = await client.add.query({ a: 1, b: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe(code);
    expect((error as DuplexError).message).toBe('bad token');

    const good = srv.client<TestRouter>({ connectionParams: { token: 'ok' } });
    expect(await good.add.query({ a: 1, b: 2 })).toBe(3);
  });

  it('createContext failing unexpectedly closes with 1011 and a masked reason', async () => {
    await using srv = await startServer(router, {
      createContext: () => {
        throw new Error('redis://admin:pw@10.0.0.9 unreachable');
      },
    });
    const raw = await openRaw(srv.url);
    raw.send({ t: 'hello', v: 1, codec: 'json' });
    expect(await raw.closed).toEqual({ code: CloseCode.INTERNAL_ERROR, reason: 'createContext failed: Internal server error' });
  });

  it('closes a connection that sends no hello in time with 4408', async () => {
    await using srv = await startServer(router, { ...anon, helloTimeoutMs: 20 });
    const raw = await openRaw(srv.url);
    expect(await raw.closed).toEqual({ code: CloseCode.HELLO_TIMEOUT, reason: 'no hello received in time' });
    await expect.poll(() => srv.server.stats().connections).toBe(0);
  });
});

describe('subprotocol negotiation', () => {
  it('refuses a handshake without duplex.v1 with a clear HTTP 400, not a hang', async () => {
    await using srv = await startServer(router, anon);
    expect(await upgradeOutcome(srv.url, { protocols: [] })).toEqual({ status: 400, body: 'unsupported subprotocol: this server speaks duplex.v1\n' });
    expect((await upgradeOutcome(srv.url, { protocols: ['duplex.v2', 'graphql-ws'] })).status).toBe(400);
    expect((await upgradeOutcome(srv.url, { protocols: ['duplex.v2', 'duplex.v1'] })).status).toBe(101);
  });

  it('refuses an unknown hello version or codec with 4400', async () => {
    await using srv = await startServer(router, anon);
    const v2 = await openRaw(srv.url);
    v2.send({ t: 'hello', v: 2, codec: 'json' });
    expect(await v2.closed).toEqual({ code: CloseCode.BAD_HELLO, reason: 'unsupported protocol version 2' });
    const codec = await openRaw(srv.url);
    codec.send({ t: 'hello', v: 1, codec: '__proto__' });
    expect((await codec.closed).code).toBe(CloseCode.BAD_HELLO);
  });
});

describe('message size', () => {
  it('closes an oversize frame with 1009 and keeps serving other connections', async () => {
    await using srv = await startServer(router, { ...anon, maxMessageBytes: 64 * 1024 });
    const client = srv.client<TestRouter>();
    expect(await client.add.query({ a: 1, b: 1 })).toBe(2);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'echo', input: 'z'.repeat(64 * 1024) });
    expect((await raw.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    expect(await client.add.query({ a: 2, b: 2 })).toBe(4);
  });

  it('counts fragments together: a message split into small frames cannot pass the limit', async () => {
    await using srv = await startServer(router, { ...anon, maxMessageBytes: 64 * 1024 });
    const raw = await openRaw(srv.url);
    await raw.hello();
    const fragment = Buffer.alloc(8 * 1024, 0x20);
    for (let i = 0; i < 9; i++) raw.ws.send(fragment, { binary: false, fin: false });
    expect((await raw.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it('bounds inflated size when permessage-deflate is enabled', async () => {
    await using srv = await startServer(router, { ...anon, maxMessageBytes: 64 * 1024, perMessageDeflate: true });
    const raw = await openRaw(srv.url, { perMessageDeflate: true });
    expect(raw.ws.extensions).toContain('permessage-deflate');
    await raw.hello();
    // ~4 MiB of one letter deflates to a few KiB: a small frame on the wire, a bomb once inflated.
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'echo', input: 'a'.repeat(4 * 1024 * 1024) });
    expect((await raw.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it('leaves permessage-deflate off by default', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url, { perMessageDeflate: true });
    expect(raw.ws.extensions).toBe('');
    raw.close();
  });
});

describe('error hygiene', () => {
  it('masks unexpected errors: no message, stack or file path reaches the client', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'boom' });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'badOutput' });
    const boom = await raw.until((m) => m.id === 1);
    expect(boom).toEqual({ t: 'error', id: 1, error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
    const badOutput = await raw.until((m) => m.id === 2);
    expect(badOutput.error?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(badOutput.error).not.toHaveProperty('issues');
    expect(badOutput.error).not.toHaveProperty('stack');
  });

  it('sends schema issues for BAD_REQUEST only, and DuplexError messages as thrown', async () => {
    await using srv = await startServer(router, anon);
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'add', input: { a: 'one' } });
    raw.send({ t: 'call', id: 2, kind: 'query', path: 'forbidden' });
    const bad = await raw.until((m) => m.id === 1);
    expect(bad.error?.code).toBe('BAD_REQUEST');
    expect(bad.error?.issues).toEqual([
      expect.objectContaining({ path: ['a'], code: 'invalid_type' }),
      expect.objectContaining({ path: ['b'], code: 'invalid_type' }),
    ]);
    expect(JSON.stringify(bad)).not.toContain('"input"');
    expect((await raw.until((m) => m.id === 2)).error).toEqual({ code: 'FORBIDDEN', message: 'not yours' });
  });

  it('exposes message and stack only with exposeErrors', async () => {
    await using srv = await startServer(router, { ...anon, exposeErrors: true });
    const raw = await openRaw(srv.url);
    await raw.hello();
    raw.send({ t: 'call', id: 1, kind: 'query', path: 'boom' });
    const boom = await raw.until((m) => m.id === 1);
    expect(boom.error?.message).toContain('password=hunter2');
    expect(boom.error?.stack).toContain('fixtures');
  });
});
