import { createServer, type Server } from 'node:http';
import { DuplexError, initDuplex, streamOf } from '@duplex/server';
import { createFetchHandler, type FetchHandler } from '@duplex/server/fetch';
import { toNodeListener } from '@duplex/server/node';
import { startServer, type TestServer } from '@duplex/test-utils';
import { type Browser, launchChromium, withChromium } from '@duplex/test-utils/browser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const d = initDuplex.create();

/** Pushers of the live `ticks` subscriptions: the test feeds events through them. */
const feeds = new Set<(n: number) => void>();

const router = d.router({
  greet: d.procedure
    .input(z.object({ name: z.string().min(1), excited: z.boolean(), times: z.number().int(), mood: z.enum(['calm', 'happy']) }))
    .query(({ input }) => `Hello ${input.name}${input.excited ? '!!!' : ''} x${input.times} (${input.mood})`),
  deny: d.procedure.query((): string => {
    throw new DuplexError({ code: 'FORBIDDEN', message: '<img src=x onerror="document.title=1">not yours' });
  }),
  /** A streamed result longer than the server's default window (16), so the page must grant credit. */
  count: d.procedure
    .input(z.object({ to: z.number().int() }))
    .output(streamOf(z.number()))
    .query(async function* ({ input }) {
      for (let n = 1; n <= input.to; n++) yield n;
    }),
  /** A client stream longer than the server's window (16): the page must send items as credit comes. */
  sum: d.procedure.input(streamOf(z.number())).mutation(async ({ input }) => {
    let total = 0;
    for await (const n of input) total += n;
    return total;
  }),
  ticks: d.procedure.input(z.object({ from: z.number() })).subscription(async function* ({ input, signal }) {
    const queue: number[] = [];
    let wake: (() => void) | undefined;
    const push = (n: number) => {
      queue.push(n);
      wake?.();
    };
    feeds.add(push);
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next !== undefined) yield input.from + next;
        else {
          await new Promise<void>((resolve) => {
            wake = resolve;
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
          wake = undefined;
        }
      }
    } finally {
      feeds.delete(push);
    }
  }),
});

const token = 'browser-devtools-token-0123456789';

describe('devtools page in headless Chromium', withChromium, () => {
  let srv: TestServer;
  let browser: Browser;
  let base: string;
  const problems: string[] = [];

  beforeAll(async () => {
    srv = await startServer(router, { devtools: { token } });
    base = `http://127.0.0.1:${srv.port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await srv?.[Symbol.asyncDispose]();
    expect(feeds.size).toBe(0);
  }, 60_000);

  async function open(url: string): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    // A CSP violation (say, a script hash that no longer matches) shows up as a console error.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    return page;
  }

  it('refuses the page without the token, or with a wrong one', async () => {
    for (const url of [`${base}/__duplex`, `${base}/__duplex?token=not-the-token-0123456789`]) {
      const page = await browser.context.newPage();
      const response = await page.goto(url);
      expect(response?.status()).toBe(401);
      expect(await page.locator('body').textContent()).toContain('missing or wrong token');
      expect(await page.locator('#procedures').count()).toBe(0);
      await page.close();
    }
  });

  it('lists procedures, runs a query from the generated form, watches a subscription, shows connections and errors', async () => {
    const page = await open(`${base}/__duplex?token=${token}`);
    await page.locator('#status').filter({ hasText: /^connected as / }).waitFor();
    expect(page.url()).toBe(`${base}/__duplex`); // the token left the address bar
    const cid = ((await page.locator('#status').textContent()) ?? '').replace('connected as ', '');

    // The procedure list, with kinds.
    expect(await page.locator('#procedures button').allTextContents()).toEqual(['countquery', 'denyquery', 'greetquery', 'summutation', 'tickssubscription']);

    // A query through the form generated from the zod schema: text, checkbox, number, enum.
    await page.locator('#procedures button[data-path="greet"]').click();
    await page.getByLabel('name *').fill('Ada');
    await page.getByLabel('excited *').check();
    await page.getByLabel('times *').fill('3');
    await page.getByLabel('mood *').selectOption({ label: '"happy"' });
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: '"Hello Ada!!! x3 (happy)"' }).waitFor();

    // The raw JSON fallback.
    await page.locator('#use-raw').check();
    await page.locator('#raw').fill('{"name":"Raw","excited":false,"times":1,"mood":"calm"}');
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: '"Hello Raw x1 (calm)"' }).waitFor();
    await page.locator('#use-raw').uncheck();

    // A streamed result: every item, then done, past the first credit window.
    await page.locator('#procedures button[data-path="count"]').click();
    await page.getByLabel('to *').fill('20');
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: '(done)' }).waitFor();
    expect(await page.locator('#result').textContent()).toBe([...Array.from({ length: 20 }, (_, i) => String(i + 1)), '(done)'].join('\n'));

    // A client stream, typed as a JSON array of items, sent as the server grants credit.
    await page.locator('#procedures button[data-path="sum"]').click();
    await page.getByLabel('items (JSON array) *').fill(JSON.stringify(Array.from({ length: 40 }, (_, i) => i + 1)));
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: /^820$/ }).waitFor();

    // Validation errors come back with their issues.
    await page.locator('#procedures button[data-path="greet"]').click();
    await page.getByLabel('times *').fill('');
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: /^BAD_REQUEST: / }).waitFor();

    // An error: shown as text (never as markup) in the result and in the recent errors.
    await page.locator('#procedures button[data-path="deny"]').click();
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: 'FORBIDDEN: <img src=x onerror="document.title=1">not yours' }).waitFor();
    const errorRow = page.locator('#errors tr').filter({ hasText: 'FORBIDDEN' });
    await errorRow.waitFor();
    expect(await errorRow.locator('td').allTextContents()).toEqual([
      expect.any(String),
      'FORBIDDEN',
      'deny',
      '<img src=x onerror="document.title=1">not yours',
      cid,
    ]);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).toBe('duplex devtools');

    // A subscription watched live: events appear as the server produces them.
    await page.locator('#procedures button[data-path="ticks"]').click();
    await page.getByLabel('from *').fill('100');
    await page.locator('#run').click();
    await vi.waitFor(() => expect(feeds.size).toBe(1));
    for (const push of feeds) push(1);
    await page.locator('#events li').filter({ hasText: '101' }).waitFor();
    for (const push of feeds) push(2);
    await page.locator('#events li').filter({ hasText: '102' }).waitFor();
    expect(await page.locator('#events li').allTextContents()).toEqual(['101', '102']);
    expect(await page.locator('#sub-status').textContent()).toBe('watching ticks');

    // Connections: this page's own, and a Node client's, with the subscription counted.
    const client = srv.client<typeof router>();
    await client.greet.query({ name: 'node', excited: false, times: 1, mood: 'calm' });
    const own = page.locator('#connections tr').filter({ hasText: `${cid} (this page)` });
    await page.locator('#connections tr').nth(1).waitFor();
    expect(await page.locator('#connections tr').count()).toBe(2);
    await own.filter({ hasText: '127.0.0.1' }).waitFor();
    await vi.waitFor(async () => expect((await own.locator('td').allTextContents()).slice(3)).toEqual(['0', '1']));

    await page.locator('#stop').click();
    await vi.waitFor(() => expect(feeds.size).toBe(0));
    expect(await page.locator('#sub-status').textContent()).toBe('stopped');
    await page.close();
    expect(problems).toEqual([]);
  }, 90_000);
});

describe('devtools page over the Fetch handler (HTTP and SSE, no WebSocket) in headless Chromium', withChromium, () => {
  let handler: FetchHandler;
  let http: Server;
  let browser: Browser;
  let base: string;
  const problems: string[] = [];

  beforeAll(async () => {
    handler = createFetchHandler({ router, devtools: { token } });
    http = createServer(toNodeListener(handler.fetch));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await handler?.close({ drainMs: 0 });
    http?.closeAllConnections();
    await new Promise<void>((resolve) => http?.close(() => resolve()));
    expect(feeds.size).toBe(0);
  }, 60_000);

  it('runs a query, a streamed result and a subscription over HTTP, and lists the errors', async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // An error answer over HTTP has its status (FORBIDDEN is 403), which the console notes; not a page problem.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${base}/__duplex?token=${token}`);
    await page.locator('#status').filter({ hasText: 'over HTTP at /' }).waitFor();

    await page.locator('#procedures button[data-path="greet"]').click();
    await page.locator('#use-raw').check();
    await page.locator('#raw').fill('{"name":"Http","excited":true,"times":2,"mood":"calm"}');
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: '"Hello Http!!! x2 (calm)"' }).waitFor();
    await page.locator('#use-raw').uncheck();

    // A streamed result over HTTP: an event stream read as it comes, past the first window.
    await page.locator('#procedures button[data-path="count"]').click();
    await page.getByLabel('to *').fill('20');
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: '(done)' }).waitFor();
    expect(await page.locator('#result').textContent()).toBe([...Array.from({ length: 20 }, (_, i) => String(i + 1)), '(done)'].join('\n'));

    // A client stream cannot go over HTTP: said so, nothing sent.
    await page.locator('#procedures button[data-path="sum"]').click();
    await page.getByLabel('items (JSON array) *').fill('[1,2]');
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: 'NOT_IMPLEMENTED: client streams need the WebSocket transport' }).waitFor();

    await page.locator('#procedures button[data-path="deny"]').click();
    await page.locator('#run').click();
    await page.locator('#result').filter({ hasText: 'FORBIDDEN: <img src=x onerror="document.title=1">not yours' }).waitFor();
    await page.locator('#errors tr').filter({ hasText: 'FORBIDDEN' }).waitFor();

    // A subscription over SSE; Stop aborts its request and the server's generator ends.
    await page.locator('#procedures button[data-path="ticks"]').click();
    await page.getByLabel('from *').fill('10');
    await page.locator('#run').click();
    await vi.waitFor(() => expect(feeds.size).toBe(1));
    for (const push of feeds) push(1);
    await page.locator('#events li').filter({ hasText: '11' }).waitFor();
    // The open event stream is listed as a connection, with its subscription.
    await vi.waitFor(async () => expect(await page.locator('#connections tr').filter({ hasText: '127.0.0.1' }).count()).toBe(1));
    await page.locator('#stop').click();
    await vi.waitFor(() => expect(feeds.size).toBe(0));
    expect(await page.locator('#sub-status').textContent()).toBe('stopped');
    await page.close();
    expect(problems).toEqual([]);
  }, 90_000);
});
