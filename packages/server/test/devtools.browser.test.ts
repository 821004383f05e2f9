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

/** Picks a procedure in the page's list and fills its generated form, field label → value. */
async function pick(page: Page, path: string, fields: Record<string, string> = {}): Promise<void> {
  await page.locator(`#procedures button[data-path="${path}"]`).click();
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label).fill(value);
}

/** Runs the picked procedure and waits for a result that matches `expected`. */
async function runFor(page: Page, expected: string | RegExp): Promise<void> {
  await page.locator('#run').click();
  await page.locator('#result').filter({ hasText: expected }).waitFor();
}

/** Runs `greet` with its input typed as raw JSON instead of through the form. */
async function greetRaw(page: Page, raw: string, expected: string): Promise<void> {
  await pick(page, 'greet');
  await page.locator('#use-raw').check();
  await page.locator('#raw').fill(raw);
  await runFor(page, expected);
  await page.locator('#use-raw').uncheck();
}

/** A streamed result past the server's first credit window: every item in order, then done. */
async function countToTwenty(page: Page): Promise<void> {
  await pick(page, 'count', { 'to *': '20' });
  await runFor(page, '(done)');
  expect(await page.locator('#result').textContent()).toBe([...Array.from({ length: 20 }, (_, i) => String(i + 1)), '(done)'].join('\n'));
}

/** The error of `deny`, shown as text (never as markup) in the result and in the recent errors; returns its row. */
async function denied(page: Page) {
  await pick(page, 'deny');
  await runFor(page, 'FORBIDDEN: <img src=x onerror="document.title=1">not yours');
  const row = page.locator('#errors tr').filter({ hasText: 'FORBIDDEN' });
  await row.waitFor();
  return row;
}

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
    await pick(page, 'greet', { 'name *': 'Ada', 'times *': '3' });
    await page.getByLabel('excited *').check();
    await page.getByLabel('mood *').selectOption({ label: '"happy"' });
    await runFor(page, '"Hello Ada!!! x3 (happy)"');

    // The raw JSON fallback.
    await greetRaw(page, '{"name":"Raw","excited":false,"times":1,"mood":"calm"}', '"Hello Raw x1 (calm)"');

    // A streamed result: every item, then done, past the first credit window.
    await countToTwenty(page);

    // A client stream, typed as a JSON array of items, sent as the server grants credit.
    await pick(page, 'sum', { 'items (JSON array) *': JSON.stringify(Array.from({ length: 40 }, (_, i) => i + 1)) });
    await runFor(page, /^820$/);

    // Validation errors come back with their issues.
    await pick(page, 'greet', { 'times *': '' });
    await runFor(page, /^BAD_REQUEST: /);

    // An error: shown as text (never as markup) in the result and in the recent errors.
    const errorRow = await denied(page);
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
    await pick(page, 'ticks', { 'from *': '100' });
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

    await greetRaw(page, '{"name":"Http","excited":true,"times":2,"mood":"calm"}', '"Hello Http!!! x2 (calm)"');

    // A streamed result over HTTP: an event stream read as it comes, past the first window.
    await countToTwenty(page);

    // A client stream cannot go over HTTP: said so, nothing sent.
    await pick(page, 'sum', { 'items (JSON array) *': '[1,2]' });
    await runFor(page, 'NOT_IMPLEMENTED: client streams need the WebSocket transport');

    await denied(page);

    // A subscription over SSE; Stop aborts its request and the server's generator ends.
    await pick(page, 'ticks', { 'from *': '10' });
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
