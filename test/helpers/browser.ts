/**
 * Real headless Chromium (Debian's `chromium` package) driven by playwright-core, closed with the test.
 * A page records its script errors and every URL it asked for, so tests can check the viewer stays on
 * its own host and runs cleanly.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ViewerPage {
  page: Page;
  /** Uncaught errors and console errors of the page. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

export async function openPage(url: string, viewport = { width: 1400, height: 900 }): Promise<ViewerPage> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
  onTestFinished(() => browser.close());
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return { page, errors, requests };
}

/** Saves a full-page screenshot under test-artifacts/ (kept out of git) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
