import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// One place decides where Chromium is and when browser tests are skipped (with the reason).
import { type Browser, launchChromium, withChromium } from '@duplex/test-utils/browser';
import { buildWeb } from '../scripts/build.mjs';
import { startTodoServer, type TodoServer } from '../src/server/todo-server.js';
import { TodoStore } from '../src/server/todo-store.js';

describe('React todo in headless Chromium', withChromium, () => {
  let dir: string;
  let publicDir: string;
  const store = new TodoStore();
  let server: TodoServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duplex-react-todo-'));
    publicDir = await buildWeb(join(dir, 'public'));
    server = await startTodoServer({ publicDir, store });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function open(query = ''): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}${query}`);
    await page.locator('#todos[data-ready="true"]').waitFor();
    return page;
  }

  async function add(page: Page, text: string): Promise<void> {
    await page.bringToFront();
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  }

  const items = (page: Page, list: '#todos' | '#activity') => page.$$eval(`${list} li`, (lis) => lis.map((li) => li.textContent ?? ''));

  let own: Page;
  let other: Page;

  it('renders a query', async () => {
    store.add('buy milk');
    own = await open('?live=0');
    other = await open();
    expect(await items(own, '#todos')).toEqual(['buy milk']);
    expect(await items(other, '#todos')).toEqual(['buy milk']);
    await other.locator('#status[data-status="live"]').waitFor();
  });

  it("updates the list through the mutation's invalidation, and live in a second page with no reload", async () => {
    await add(own, 'walk the dog');
    await own.locator('#todos li', { hasText: 'walk the dog' }).waitFor();
    // `other` made no call: the server's invalidation made it refetch.
    await other.locator('#todos li', { hasText: 'walk the dog' }).waitFor();
    await other.locator('#activity li', { hasText: 'added walk the dog' }).waitFor();
    expect(await other.locator('#status').textContent()).toContain('last added: walk the dog');
  });

  it('leaves no duplicated or missing item on either page after the server is killed and restarted', async () => {
    const third = await open();
    await third.locator('#status[data-status="live"]').waitFor();
    await own.close();
    const { port } = server;
    await server.close();
    await other.locator('#status[data-status="reconnecting"]').waitFor();
    store.add('added while the server was down');
    server = await startTodoServer({ publicDir, store, port });
    await other.locator('#status[data-status="resumed"]').waitFor();
    await third.locator('#status[data-status="resumed"]').waitFor();
    await add(other, 'after restart');
    const expected = ['buy milk', 'walk the dog', 'added while the server was down', 'after restart'];
    for (const page of [other, third]) {
      await page.locator('#todos li', { hasText: 'after restart' }).waitFor();
      await page.locator('#activity li', { hasText: 'added after restart' }).waitFor();
      expect(await items(page, '#todos')).toEqual(expected);
      expect(await items(page, '#activity')).toEqual(expected.map((text) => `added ${text}`));
    }
    expect(pageErrors).toEqual([]);
  });

  it('ships the query helpers in a small browser bundle', async () => {
    const app = await readFile(join(publicDir, 'app.js'), 'utf8');
    expect(app).toContain('duplex.v1');
    expect(app).not.toMatch(/ZodError|\$ZodType/);
  });
});
