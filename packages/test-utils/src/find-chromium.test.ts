import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from './find-chromium.js';

describe('findChromium', () => {
  let dir: string;
  let fake: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duplex-find-chromium-'));
    fake = join(dir, 'chromium');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
    await writeFile(join(dir, 'not-executable'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes CHROMIUM_PATH first, and says so when it is not an executable', () => {
    expect(findChromium({ CHROMIUM_PATH: fake, PATH: '' })).toEqual({ path: fake });
    const bad = join(dir, 'not-executable');
    expect(findChromium({ CHROMIUM_PATH: bad, PATH: dir })).toEqual({ missing: `CHROMIUM_PATH=${bad} is not an executable file` });
  });

  it('then looks on PATH', () => {
    expect(findChromium({ PATH: `/nonexistent:${dir}` })).toEqual({ path: fake });
  });

  it('without any, names the install command (unless Debian’s /usr/bin/chromium is there)', () => {
    const found = findChromium({ PATH: '/nonexistent' });
    if (found.path !== undefined) expect(found.path).toBe('/usr/bin/chromium');
    else expect(found.missing).toBe('no Chromium, install it with `sudo apt-get install chromium` or set CHROMIUM_PATH');
  });
});
