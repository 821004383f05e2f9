import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The command that installs the browser the browser tests drive (Debian and Ubuntu). */
export const CHROMIUM_INSTALL = 'sudo apt-get install chromium';

/** Where Chromium was found, or why it was not. */
export type ChromiumLookup = { path: string; missing?: undefined } | { path?: undefined; missing: string };

const NAMES = ['chromium', 'chromium-browser'];
const DEBIAN_PATH = '/usr/bin/chromium';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds Chromium for the browser tests: `CHROMIUM_PATH` if set, else `chromium` or `chromium-browser`
 * on `PATH`, else Debian's `/usr/bin/chromium`. Never installs anything.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    return isExecutable(explicit) ? { path: explicit } : { missing: `CHROMIUM_PATH=${explicit} is not an executable file` };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of NAMES) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return { path: candidate };
    }
  }
  if (isExecutable(DEBIAN_PATH)) return { path: DEBIAN_PATH };
  return { missing: `no Chromium, install it with \`${CHROMIUM_INSTALL}\` or set CHROMIUM_PATH` };
}
