import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Script } from 'node:vm';
import { DuplexError, initDuplex, createWsServer, type ErrorEvent } from '@duplex/server';
import { createBunServer } from '@duplex/server/bun';
import { createDenoServer } from '@duplex/server/deno';
import { createFetchHandler, type FetchRequestInfo } from '@duplex/server/fetch';
import { startServer } from '@duplex/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();
const router = d.router({
  greet: d.procedure.input(z.object({ name: z.string() })).query(({ input }) => `Hello ${input.name}`),
  deny: d.procedure.query((): string => {
    throw new DuplexError({ code: 'FORBIDDEN', message: '<img src=x onerror=alert(1)>' });
  }),
  ticks: d.procedure.subscription(async function* () {
    yield 1;
  }),
});

const token = 'devtools-test-token-0123456789';

interface DevtoolsState {
  socketPath: string;
  procedures: Array<{ path: string; kind: string; input: unknown }>;
  connections: Array<{ id: string; address: string; since: string; calls: number; subscriptions: number }>;
  errors: Array<{ code: string; message: string; path: string; kind: string; connectionId: string }>;
}

async function getState(base: string, bearer?: string): Promise<Response> {
  return fetch(`${base}/__duplex/state`, bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : {});
}

describe('devtools over HTTP', () => {
  it('is off by default: the path is the plain 426 answer', async () => {
    await using srv = await startServer(router);
    const response = await fetch(`http://127.0.0.1:${srv.port}/__duplex?token=${token}`);
    expect(response.status).toBe(426);
    expect(await response.text()).not.toContain('devtools');
  });

  it('refuses a missing, wrong or short token', async () => {
    expect(() => createWsServer({ router, devtools: { token: 'short' } })).toThrow(/at least 16 characters/);
    await using srv = await startServer(router, { devtools: { token } });
    const base = `http://127.0.0.1:${srv.port}`;
    for (const url of [`${base}/__duplex`, `${base}/__duplex?token=wrong-token-0123456789`]) {
      const response = await fetch(url);
      expect(response.status).toBe(401);
      expect(await response.text()).toBe('duplex devtools: missing or wrong token\n');
    }
    expect((await getState(base)).status).toBe(401);
    expect((await getState(base, 'wrong-token-0123456789')).status).toBe(401);
    // The page's token in the query is not accepted for the state: only the Authorization header is.
    expect((await fetch(`${base}/__duplex/state?token=${token}`)).status).toBe(401);
    expect((await fetch(`${base}/__duplex/other`)).status).toBe(404);
    expect((await fetch(`${base}/__duplex/state`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(405);
  });

  it('serves the page with a strict CSP and no caching, with the token', async () => {
    await using srv = await startServer(router, { devtools: { token } });
    const response = await fetch(`http://127.0.0.1:${srv.port}/__duplex?token=${token}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).toContain('<title>duplex devtools</title>');
    expect(html).not.toContain(token);
    // The inline script compiles (checked here too, since the browser test needs Chromium).
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).toContain("t: 'hello'");
    expect(() => new Script(script)).not.toThrow();
  });

  it('lists procedures, connections and recent errors, and still calls the app onError', async () => {
    const seen: ErrorEvent[] = [];
    await using srv = await startServer(router, { devtools: { token, maxErrors: 2 }, onError: (event) => seen.push(event) });
    const client = srv.client<typeof router>();
    await expect(client.deny.query()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(client.greet.query({ name: 5 as unknown as string })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.deny.query()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(seen.map((event) => event.error.code)).toEqual(['FORBIDDEN', 'BAD_REQUEST', 'FORBIDDEN']);

    const response = await getState(`http://127.0.0.1:${srv.port}`, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const state = (await response.json()) as DevtoolsState;
    expect(state.socketPath).toBe('/');
    expect(state.procedures.map(({ path, kind }) => `${path}:${kind}`)).toEqual(['deny:query', 'greet:query', 'ticks:subscription']);
    expect(state.procedures.find((proc) => proc.path === 'greet')?.input).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' } },
    });
    expect(state.procedures.find((proc) => proc.path === 'ticks')?.input).toBeNull();
    expect(state.connections).toHaveLength(1);
    expect(state.connections[0]).toMatchObject({ address: '127.0.0.1', calls: 0, subscriptions: 0 });
    expect(Date.parse(state.connections[0]?.since ?? '')).not.toBeNaN();
    // Newest first, bounded to maxErrors: the first FORBIDDEN was dropped.
    expect(state.errors.map((error) => error.code)).toEqual(['FORBIDDEN', 'BAD_REQUEST']);
    expect(state.errors[0]).toMatchObject({ path: 'deny', kind: 'query', message: '<img src=x onerror=alert(1)>', connectionId: state.connections[0]?.id });
  });

  it('answers loopback addresses only unless allowRemote is set', async () => {
    const remote = { method: 'GET', url: `/__duplex?token=${token}`, headers: {}, socket: { remoteAddress: '10.1.2.3' } } as unknown as IncomingMessage;
    const answered: Array<{ status: number; body: string }> = [];
    const response = {
      writeHead(status: number) {
        answered.push({ status, body: '' });
        return this;
      },
      end(body: string) {
        const last = answered.at(-1);
        if (last) last.body = body;
        return this;
      },
    } as unknown as ServerResponse;
    const closed = createWsServer({ router, devtools: { token } });
    // true at once (the request is taken); the answer follows once the token's digest is compared.
    expect(closed.handleDevtools(remote, response)).toBe(true);
    await vi.waitFor(() => expect(answered.at(-1)).toEqual({ status: 403, body: 'duplex devtools answer loopback addresses only\n' }));
    const open = createWsServer({ router, devtools: { token, allowRemote: true } });
    expect(open.handleDevtools(remote, response)).toBe(true);
    await vi.waitFor(() => expect(answered.at(-1)?.status).toBe(200));
    // Other paths are left alone, and a server without devtools handles nothing.
    expect(open.handleDevtools({ ...remote, url: '/app' } as IncomingMessage, response)).toBe(false);
    expect(open.handleDevtools({ ...remote, url: '//[' } as IncomingMessage, response)).toBe(false); // unparsable: not ours
    expect(createWsServer({ router }).handleDevtools(remote, response)).toBe(false);
    expect(answered).toHaveLength(2);
    await Promise.all([closed.close(), open.close()]);
  });

  it('serves through attach() with the socket path the page must use', async () => {
    const wsServer = createWsServer({ router, devtools: { token, path: '/tools' } });
    const http = createServer((request, response) => {
      if (wsServer.handleDevtools(request, response)) return;
      response.writeHead(404).end();
    });
    wsServer.attach(http, { path: '/rpc' });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = http.address() as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/tools?token=${token}`)).status).toBe(200);
      const state = (await (await fetch(`http://127.0.0.1:${port}/tools/state`, { headers: { Authorization: `Bearer ${token}` } })).json()) as DevtoolsState;
      expect(state.socketPath).toBe('/rpc');
      expect((await fetch(`http://127.0.0.1:${port}/__duplex?token=${token}`)).status).toBe(404);
    } finally {
      await wsServer.close({ drainMs: 0 });
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});

describe('devtools on the Fetch handler and the Bun and Deno adapters', () => {
  const page = `http://127.0.0.1/__duplex?token=${token}`;

  it('answers loopback only, from the address in the handler info of each runtime', async () => {
    const handler = createFetchHandler({ router, devtools: { token } });
    const status = async (info?: FetchRequestInfo) => (await handler.fetch(new Request(page), info)).status;
    expect(await status({ remoteAddr: { hostname: '127.0.0.1' } })).toBe(200); // Deno.serve, toNodeListener
    expect(await status({ requestIP: () => ({ address: '::1' }) })).toBe(200); // Bun.serve
    expect(await status({ remoteAddr: { hostname: '10.1.2.3' } })).toBe(403);
    expect(await status({ requestIP: () => ({ address: '::ffff:10.1.2.3' }) })).toBe(403);
    expect(await status()).toBe(403); // no address (a framework that does not pass it): remote
    const open = createFetchHandler({ router, devtools: { token, allowRemote: true } });
    expect((await open.fetch(new Request(page), { remoteAddr: { hostname: '10.1.2.3' } })).status).toBe(200);
    // Without devtools the path is an ordinary (unknown) procedure path.
    expect((await createFetchHandler({ router }).fetch(new Request(page), { remoteAddr: { hostname: '127.0.0.1' } })).status).toBe(404);
    await Promise.all([handler.close(), open.close()]);
  });

  it('Bun and Deno adapters: the page for a plain request, the upgrade on its path passed through', async () => {
    const bun = createBunServer({ router, devtools: { token } });
    const upgraded: Request[] = [];
    const bunInfo = (address: string) => ({
      requestIP: () => ({ address }),
      upgrade: (request: Request) => upgraded.push(request) > 0,
    });
    expect((await bun.fetch(new Request(page), bunInfo('127.0.0.1')))?.status).toBe(200);
    expect((await bun.fetch(new Request(page), bunInfo('10.1.2.3')))?.status).toBe(403);
    const upgrade = new Request('http://127.0.0.1/__duplex', {
      headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Protocol': 'duplex.v1', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' },
    });
    expect(await bun.fetch(upgrade, bunInfo('127.0.0.1'))).toBeUndefined();
    expect(upgraded).toHaveLength(1);
    const deno = createDenoServer({ router, devtools: { token } });
    expect((await deno.fetch(new Request(page), { remoteAddr: { hostname: '127.0.0.1' } })).status).toBe(200);
    expect((await deno.fetch(new Request(page), { remoteAddr: { hostname: '10.1.2.3' } })).status).toBe(403);
    expect((await deno.fetch(new Request(page))).status).toBe(403);
    // Without devtools, a plain request to that path is the usual 426.
    expect((await createDenoServer({ router }).fetch(new Request(page), { remoteAddr: { hostname: '127.0.0.1' } })).status).toBe(426);
    await Promise.all([bun.close({ drainMs: 0 }), deno.close({ drainMs: 0 })]);
  });
});
