/**
 * Opens Bulwark's self-contained HTML pages in Debian's headless Chromium through playwright-core,
 * so page tests check what a user's browser renders, not just strings. CI installs `chromium`
 * with apt (.ci/run); outside CI a machine without it skips the page tests (see `browserAvailable`).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium binary (package `chromium`). */
export const CHROMIUM_PATH = process.env.BULWARK_CHROMIUM ?? '/usr/bin/chromium';

/** True when the page tests can run; in CI a missing browser is a failure, never a skip. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM_PATH} is missing: CI must install Debian's chromium`);
  return false;
}

/** Flags for a closed network: no background requests, no sandbox as root. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium. Close it in `afterAll`. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}

/** Renders `html` in a fresh page (no network: every request is refused and counted). */
export async function openHtml(browser: Browser, html: string): Promise<{ page: Page; requests: string[]; consoleErrors: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.route('**/*', async (route) => {
    requests.push(route.request().url());
    await route.abort();
  });
  await page.setContent(html, { waitUntil: 'load' });
  return { page, requests, consoleErrors };
}
