// Headless Chromium (Debian's /usr/bin/chromium, or VIGIL_CHROMIUM) through
// playwright-core, with a fresh profile, for the dashboard's browser tests.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Returns { browser, close }: close() ends the browser and removes the
// profile.
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  // playwright passes the profile as --user-data-dir.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.VIGIL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1680, height: 1050 },
    timeout: 60000,
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
