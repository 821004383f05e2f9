/**
 * Binary frames through a real browser WebSocket: Chromium sends a `Uint8Array` input and reads
 * `Uint8Array` results and events (binaryType, ArrayBuffer handling), not only Node's `ws`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWsServer, type WsServer } from '@duplex/server';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, withChromium } from '@duplex/test-utils/browser';
import { bytesRouter } from './bytes-page/router.js';

describe('binary frames in headless Chromium', withChromium, () => {
  let dir: string;
  let http: Server;
  let duplex: WsServer;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duplex-bytes-page-'));
    await build({
      entryPoints: [fileURLToPath(new URL('./bytes-page/page.ts', import.meta.url))],
      outfile: join(dir, 'page.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@duplex/source'],
      logLevel: 'warning',
    });
    const script = await readFile(join(dir, 'page.js'), 'utf8');
    http = createServer((req, res) => {
      if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>loading</title><script type="module" src="/page.js"></script>');
    });
    duplex = createWsServer({ router: bytesRouter });
    duplex.attach(http, { path: '/rpc' });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP port');
    origin = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await duplex?.close({ drainMs: 0 });
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('uploads bytes and downloads bytes in results and subscription events', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.title === 'ready');
    const result = await page.evaluate(() => (window as unknown as { roundTrip(size: number, count: number): Promise<unknown> }).roundTrip(300_000, 5));
    expect(result).toEqual({
      sentOk: true,
      length: 300_000,
      chunks: [0, 1, 2, 3, 4].map((i) => ({ i, length: 1_000, allI: true, isBytes: true })),
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});
