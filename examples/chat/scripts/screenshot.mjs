// Captures docs/screenshot.png for the README: builds the chat, starts it on a free port, has two
// people talk in headless Chromium and photographs one of the pages.
// `npm run screenshot -w @duplex/example-chat` (needs Chromium: CHROMIUM_PATH or /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildServer, buildWeb } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}docs/screenshot.png`;

await Promise.all([buildWeb(), buildServer()]);
const server = spawn(process.execPath, [`${root}dist/server.js`], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const [line] = await once(server.stdout, 'data');
  const url = /http:\/\/\S+\//.exec(String(line))?.[0];
  if (!url) throw new Error(`the chat server printed no URL: ${line}`);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 880, height: 460 }, colorScheme: 'light' });
    const join = async (name) => {
      const page = await context.newPage();
      await page.goto(`${url}#general`);
      await page.fill('#name', name);
      await page.click('#join button');
      await page.locator('#state[data-state="open"]').waitFor();
      return page;
    };
    const say = async (page, text) => {
      await page.bringToFront();
      await page.fill('#text', text);
      await page.press('#text', 'Enter');
      await page.locator('#messages li', { hasText: text }).waitFor();
    };
    const ada = await join('ada');
    const grace = await join('grace');
    await say(ada, 'Morning! Did the deploy go out?');
    await say(grace, 'Yes, and nobody noticed: every tab resumed where it was.');
    await say(ada, 'That is the point of tracked events.');
    await grace.bringToFront();
    await grace.fill('#text', 'Exactly');
    await ada.locator('#typing', { hasText: 'grace is typing' }).waitFor();
    await ada.bringToFront();
    await mkdir(`${root}docs`, { recursive: true });
    await ada.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  server.kill('SIGTERM');
}
