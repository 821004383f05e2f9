/**
 * Headless Chromium for browser tests (`@duplex/test-utils/browser`, a separate entry so tests
 * without a browser never load playwright-core).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium as playwright } from 'playwright-core';
import { findChromium } from './find-chromium.js';
import { skipUnless } from './skip-unless.js';

export { CHROMIUM_INSTALL, type ChromiumLookup, findChromium } from './find-chromium.js';

/** The Chromium this run uses, looked up once per test file. */
export const chromium = findChromium();

/**
 * Suite options for browser tests: they run when Chromium was found and are skipped otherwise,
 * with the install command as the reason.
 * @example describe('chat in headless Chromium', withChromium, () => { … })
 */
export const withChromium = skipUnless(chromium.missing === undefined ? undefined : `browser tests: ${chromium.missing}`);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile; closing it removes the profile. */
export interface Browser extends AsyncDisposable {
  context: BrowserContext;
}

/** Launches the Chromium {@link findChromium} found, with a fresh `--user-data-dir` (Playwright's persistent context passes it). */
export async function launchChromium(): Promise<Browser> {
  const { path, missing } = chromium;
  if (path === undefined) throw new Error(`browser tests: ${missing}`);
  const userDataDir = await mkdtemp(join(tmpdir(), 'duplex-chromium-'));
  try {
    const context = await playwright.launchPersistentContext(userDataDir, {
      executablePath: path,
      headless: true,
      args: ARGS,
      timeout: 60_000,
    });
    // A loaded 2-core machine can be slow; every wait in the tests is for visible state, never a sleep.
    context.setDefaultTimeout(20_000);
    return {
      context,
      async [Symbol.asyncDispose]() {
        await context.close();
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
