import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createTcpServer } from 'node:net';
import { startProxy } from '@duplex/test-utils';
import { type Browser, launchChromium, withChromium } from '@duplex/test-utils/browser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildWeb } from '../scripts/build.mjs';
import { type ChatServer, RPC_PATH, startChatServer } from '../src/server/chat-server.js';
import { staticFiles } from '../src/server/static-files.js';
import { parseMessageId } from '../src/shared/message-id.js';

const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

describe('chat in headless Chromium', withChromium, () => {
  let dir: string;
  let publicDir: string;
  let chat: ChatServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duplex-chat-web-'));
    publicDir = await buildWeb(join(dir, 'public'));
    chat = await startChatServer({ publicDir });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await chat?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function open(url: string): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url);
    return page;
  }

  /** Opens the chat as `name` and waits until its socket is open. */
  async function enterChat(name: string, url = `${chat.url}#general`): Promise<Page> {
    const page = await open(url);
    await page.fill('#name', name);
    await page.click('#join button');
    await page.locator('#state[data-state="open"]').waitFor();
    return page;
  }

  /**
   * Pages share one window as tabs, and a background tab gets no animation frames, which
   * Playwright's click waits for: act on a page as a user would, with its tab in front.
   */
  async function click(page: Page, selector: string): Promise<void> {
    await page.bringToFront();
    await page.click(selector);
  }

  async function post(page: Page, text: string): Promise<void> {
    await page.bringToFront();
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  }

  const shown = (page: Page, text: string) => page.locator('#messages li', { hasText: text }).waitFor();
  const messageList = (page: Page) =>
    page.$$eval('#messages li', (items) => items.map((li) => ({ id: li.getAttribute('data-id') ?? '', text: li.querySelector('.text')?.textContent ?? '' })));

  let alice: Page;
  let bob: Page;

  it('builds a front end that imports zod only as types', async () => {
    const app = await readFile(join(dir, 'public', 'app.js'), 'utf8');
    expect(app).toContain('duplex.v1');
    expect(app).not.toMatch(/ZodError|\$ZodType/);
  });

  it('delivers a message posted on one page live to the other, with presence and typing', async () => {
    alice = await enterChat('alice');
    bob = await enterChat('bob');
    await bob.locator('#online', { hasText: 'alice, bob' }).waitFor();
    // The room list is live and labeled: alice's shows bob's arrival in #general.
    await alice.locator('#rooms button[data-room="general"] .online[data-online="2"]', { hasText: /^2 online$/ }).waitFor();
    expect(await alice.textContent('#rooms button[data-room="random"] .online')).toBe('0 online');
    await alice.fill('#text', 'hel');
    await bob.locator('#typing', { hasText: 'alice is typing' }).waitFor();
    await post(alice, 'hello from alice');
    await shown(bob, 'hello from alice');
    await shown(alice, 'hello from alice');
    await bob.locator('#typing:empty').waitFor({ state: 'attached' });
    expect((await messageList(bob)).map((m) => m.text)).toEqual(['hello from alice']);
  });

  it('resumes the room after a reload with no lost or repeated message', async () => {
    const [first] = await messageList(bob);
    // Away: bob's tab leaves while alice posts; coming back, it asks only for what came after.
    await bob.goto('about:blank');
    await post(alice, 'while away 1');
    await shown(alice, 'while away 1');
    await post(alice, 'while away 2');
    await shown(alice, 'while away 2');
    await bob.goto(`${chat.url}#general`);
    await shown(bob, 'while away 2');
    expect(await bob.getAttribute('#messages', 'data-resumed-after')).toBe(first?.id);

    // A real reload with a message posted while it happens: wherever it lands, it shows once.
    const reloading = bob.reload();
    await post(alice, 'during reload');
    await reloading;
    await bob.locator('#state[data-state="open"]').waitFor();
    await post(alice, 'after reload');
    await shown(bob, 'after reload');
    expect(await bob.getAttribute('#messages', 'data-resumed-after')).not.toBe('');

    const list = await messageList(bob);
    expect(list.map((m) => m.text)).toEqual(['hello from alice', 'while away 1', 'while away 2', 'during reload', 'after reload']);
    const ids = list.map((m) => parseMessageId(m.id)?.seq ?? Number.NaN);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    expect(await messageList(alice)).toEqual(list);
  });

  it("words the server's validation issue beside the message field, and stays usable", async () => {
    await post(alice, 'x'.repeat(501));
    const fieldError = alice.locator('#text-error');
    await fieldError.waitFor();
    // Built from the code and bounds, never the raw code or zod's developer message.
    expect(await fieldError.textContent()).toBe('Message is too long (max 500 characters)');
    expect(await alice.getAttribute('#text', 'aria-invalid')).toBe('');
    expect(await alice.isHidden('#error')).toBe(true);
    expect(await alice.textContent('body')).not.toMatch(/BAD_REQUEST|Too big/);
    await mkdir(artifacts, { recursive: true });
    await alice.screenshot({ path: join(artifacts, 'chat-validation-error.png'), fullPage: true });
    await alice.locator('#count.over').waitFor();
    await post(alice, '   ');
    await fieldError.filter({ hasText: /^Message is empty$/ }).waitFor();
    await post(alice, 'shorter now');
    await shown(bob, 'shorter now');
    await fieldError.waitFor({ state: 'hidden' });
    expect(await alice.getAttribute('#text', 'aria-invalid')).toBeNull();
    expect((await messageList(bob)).some((m) => m.text.startsWith('xxx'))).toBe(false);
    await bob.screenshot({ path: join(artifacts, 'chat.png'), fullPage: true });
  });

  it('keeps rooms apart and restores a room when switching back', async () => {
    const general = await messageList(bob);
    await click(alice, '#rooms button[data-room="random"]');
    await alice.locator('#room-title', { hasText: '# random' }).waitFor();
    await bob.locator('#rooms button[data-room="random"] .online[data-online="1"]').waitFor();
    await bob.locator('#rooms button[data-room="general"] .online[data-online="1"]').waitFor();
    await post(alice, 'over in random');
    await shown(alice, 'over in random');
    await click(bob, '#rooms button[data-room="random"]');
    await shown(bob, 'over in random');
    expect((await messageList(bob)).map((m) => m.text)).toEqual(['over in random']);
    await click(bob, '#rooms button[data-room="general"]');
    await bob.locator('#room-title', { hasText: '# general' }).waitFor();
    await post(alice, 'random again');
    await click(alice, '#rooms button[data-room="general"]');
    await post(alice, 'back in general');
    await shown(bob, 'back in general');
    const texts = (await messageList(bob)).map((m) => m.text);
    expect(texts).toEqual([...general.map((m) => m.text), 'back in general']);
  });

  it('says "Reconnecting…" during a short outage, greys out presence, then "Back online" with nothing lost', async () => {
    // erin reaches the chat through a TCP proxy (page and socket), so her link alone can be cut.
    await using proxy = await startProxy(chat.port);
    const erin = await enterChat('erin', `http://127.0.0.1:${proxy.port}/#general`);
    await erin.locator('#online', { hasText: 'erin' }).waitFor();
    expect(await erin.getAttribute('#chat', 'data-offline')).toBe('false');
    // Cut the link and refuse new ones until we say so: the outage lasts until it has been seen.
    proxy.retarget(await closedPort());
    proxy.cut();
    await erin.locator('#notice[data-kind="reconnecting"]', { hasText: /^Reconnecting…$/ }).waitFor();
    await erin.locator('#chat[data-offline="true"] #online', { hasText: /^You are offline$/ }).waitFor();
    await post(alice, 'during the outage');
    await shown(alice, 'during the outage');
    proxy.retarget(chat.port);
    await erin.locator('#notice[data-kind="back-online"]', { hasText: /^Back online$/ }).waitFor({ state: 'attached' });
    await shown(erin, 'during the outage');
    await erin.locator('#chat[data-offline="false"] #online', { hasText: 'erin' }).waitFor();
    await post(alice, 'after the outage');
    await shown(erin, 'after the outage');
    const list = await messageList(erin);
    expect(list).toEqual((await messageList(alice)).slice(-list.length));
    expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
    await mkdir(artifacts, { recursive: true });
    await erin.screenshot({ path: join(artifacts, 'chat-back-online.png'), fullPage: true });
    await erin.close();
  });

  it('says some messages were too old when the history was trimmed past what the page kept', async () => {
    // bob kept #random's messages; while he is away the room's log (500) moves past them.
    const kept = await bob.evaluate(() => sessionStorage.getItem('duplex-chat:messages:random'));
    expect(kept).toContain('over in random');
    await bob.goto('about:blank');
    for (let i = 1; i <= 501; i++) chat.store.post('random', 'bot', `flood ${i}`);
    await bob.goto(`${chat.url}#random`);
    await bob.locator('#notice[data-kind="gap"]', { hasText: 'Some messages were too old to replay' }).waitFor({ state: 'attached' });
    await shown(bob, 'flood 501');
    const texts = (await messageList(bob)).map((m) => m.text);
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `flood ${452 + i}`));
    await click(bob, '#rooms button[data-room="general"]');
    await bob.locator('#room-title', { hasText: '# general' }).waitFor();
    await bob.locator('#state[data-state="open"]').waitFor();
  });

  it('reconnects after a server restart and resumes the room on its own, without loss or repeats', async () => {
    const before = (await messageList(bob)).map((m) => m.text);
    // A restart that keeps the data (as a database would): same port, same store.
    const { port, store } = chat;
    await chat.close();
    await bob.locator('#state[data-state="reconnecting"]').waitFor();
    await bob.locator('#notice[data-kind="reconnecting"]', { hasText: 'Reconnecting…' }).waitFor();
    await bob.locator('#online', { hasText: 'You are offline' }).waitFor();
    chat = await startChatServer({ publicDir, port, store });
    await alice.locator('#state[data-state="open"]').waitFor();
    await post(alice, 'after restart');
    await shown(bob, 'after restart');
    await bob.locator('#state[data-state="open"]').waitFor();
    await bob.locator('#notice[data-kind="back-online"]', { hasText: 'Back online' }).waitFor({ state: 'attached' });
    const list = await messageList(bob);
    expect(list.map((m) => m.text)).toEqual([...before, 'after restart']);
    expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
  });

  it('says the server restarted when it comes back without its history, and reloads it', async () => {
    expect(await messageList(bob)).not.toEqual([]);
    // An in-memory server restarted for real: same port, fresh store, so a new id epoch.
    const { port } = chat;
    await chat.close();
    await bob.locator('#notice[data-kind="reconnecting"]').waitFor();
    chat = await startChatServer({ publicDir, port });
    chat.store.post('general', 'bot', 'first since restart');
    const restarted = '#notice[data-kind="restarted"]';
    await bob.locator(restarted, { hasText: /^Server restarted — reconnected; history reloaded$/ }).waitFor({ state: 'attached' });
    await alice.locator(restarted).waitFor({ state: 'attached' });
    // The old messages are gone from the page and its cache; what the server has now is shown.
    await shown(bob, 'first since restart');
    expect((await messageList(bob)).map((m) => m.text)).toEqual(['first since restart']);
    await post(alice, 'hello again');
    await shown(bob, 'hello again');
    expect((await messageList(bob)).map((m) => m.text)).toEqual(['first since restart', 'hello again']);
    expect(await bob.textContent('body')).not.toContain('too old');
    await bob.screenshot({ path: join(artifacts, 'chat-restarted.png'), fullPage: true });
  });

  it('serves the favicon the page links to', async () => {
    const icon = await bob.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href ?? '';
      const response = await fetch(href);
      return { href, status: response.status, type: response.headers.get('content-type'), body: await response.text() };
    });
    expect(icon).toMatchObject({ href: `${chat.url}favicon.svg`, status: 200, type: 'image/svg+xml' });
    expect(icon.body).toMatch(/^<svg /);
  });

  it('shows the recent history on joining and loads older messages on request', async () => {
    for (let i = 1; i <= 60; i++) chat.store.post('help', 'bot', `faq ${i}`);
    const dave = await enterChat('dave', `${chat.url}#help`);
    await shown(dave, 'faq 60');
    const count = () => dave.locator('#messages li').count();
    expect(await count()).toBe(50);
    expect(await dave.textContent('#messages li:first-child .text')).toBe('faq 11');
    await click(dave, '#older');
    await dave.locator('#messages .text', { hasText: /^faq 1$/ }).waitFor();
    expect(await count()).toBe(60);
    await click(dave, '#older');
    await dave.locator('#older').waitFor({ state: 'hidden' });
    await dave.close();
  });

  it('refuses a page of another origin while a same-origin page connects', async () => {
    const foreign = await startForeignSite(chat.port, join(dir, 'public'));
    try {
      // Every open chat page holds one socket; wait until the server agrees (pages closed by
      // earlier tests may still be on their way out), so the counts below are exact.
      const chatPages = browser.context.pages().filter((page) => page.url().startsWith(chat.url)).length;
      await vi.waitFor(() => expect(chat.wsServer.stats().connections).toBe(chatPages), { timeout: 20_000 });
      const connections = chatPages;
      const evil = await browser.context.newPage();
      const attempts: string[] = [];
      evil.on('websocket', (socket) => attempts.push(socket.url()));
      await evil.goto(foreign.url);
      await evil.fill('#name', 'mallory');
      await evil.click('#join button');
      // The upgrade is refused with 403 before any socket exists: the client backs off and retries.
      await evil.locator('#state[data-state="reconnecting"]').waitFor();
      await evil.locator('#notice', { hasText: `Cannot connect to ${foreign.rpcUrl}` }).waitFor();
      expect(await evil.getAttribute('#state', 'data-ever-open')).toBe('false');
      expect(attempts[0]).toBe(foreign.rpcUrl);
      expect(chat.wsServer.stats().connections).toBe(connections);
      await evil.close();

      const carol = await enterChat('carol');
      await carol.locator('#online', { hasText: 'carol' }).waitFor();
      expect(chat.wsServer.stats().connections).toBe(connections + 1);
    } finally {
      await foreign.close();
    }
  });

  afterAll(() => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * Another site (another port, so another origin) serving the same front end, pointed at the chat's
 * socket with `<meta name="duplex-url">`: what a cross-site WebSocket hijacking page would do.
 */
async function startForeignSite(chatPort: number, publicDir: string): Promise<{ url: string; rpcUrl: string; close(): Promise<void> }> {
  const rpcUrl = `ws://127.0.0.1:${chatPort}${RPC_PATH}`;
  const index = (await readFile(join(publicDir, 'index.html'), 'utf8')).replace('<head>', `<head>\n    <meta name="duplex-url" content="${rpcUrl}" />`);
  const files = staticFiles(publicDir);
  const server: Server = createServer((request, response) => {
    if (request.url === '/' || request.url?.startsWith('/#')) response.writeHead(200, { 'Content-Type': 'text/html' }).end(index);
    else void files(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('foreign site did not bind a TCP port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    rpcUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}
