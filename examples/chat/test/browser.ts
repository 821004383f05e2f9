import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium, installed by scripts/install-browser.sh. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether the browser tests run: yes when chromium is installed; when it is not, they are skipped
 * locally but fail under CI (`CI` set), where a missing browser is a broken setup, not a choice.
 */
export const runBrowserTests = existsSync(CHROMIUM_PATH) || Boolean(process.env.CI);

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

/** Launches Chromium with a fresh `--user-data-dir` (Playwright's persistent context passes it). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run scripts/install-browser.sh (CI must run it before npm test)`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'duplex-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      timeout: 60_000,
    });
    // A loaded 2-core machine can be slow; every wait below is for visible state, never a sleep.
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
