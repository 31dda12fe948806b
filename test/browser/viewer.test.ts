/**
 * The trace viewer at `/` on the admin port, in real headless Chromium: after known traffic through two
 * chained proxies (helpers/proxy-chain.ts), the list shows the requests, a trace opens as a waterfall with
 * one bar per span nested by parent, failures are marked, the service map has the edge between the two
 * services, and the page refreshes live. Each view is saved as a screenshot under test-artifacts/.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openPage, screenshot, type ViewerPage } from '../helpers/browser.js';
import { FAIL_PATH, startChain, type ProxyChain } from '../helpers/proxy-chain.js';

interface Scene {
  chain: ProxyChain;
  viewer: ViewerPage;
  ok: string;
  failed: string;
}

/** Three requests (two answered 200, one 503) through the chain, then the viewer open on B's admin port. */
async function scene(hash = ''): Promise<Scene> {
  const chain = await startChain();
  const first = await chain.request('/api/orders/1');
  const failed = await chain.request(FAIL_PATH);
  const ok = await chain.request('/api/orders/2');
  expect([first.status, failed.status, ok.status]).toEqual([200, 503, 200]);
  await chain.flush();
  const viewer = await openPage(`${chain.b.adminUrl}/${hash}`);
  return { chain, viewer, ok: ok.traceId, failed: failed.traceId };
}

async function rowCount(page: Page, selector: string, count: number): Promise<void> {
  // Runs in the page; typed by hand since the test project has no DOM typings.
  const hasCount = ([sel, n]: readonly [string, number]): boolean =>
    (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll(sel).length === n;
  await page.waitForFunction(hasCount, [selector, count] as const, { timeout: 5_000 });
}

/** What a page did besides showing things: nothing failed, nothing was fetched from another host. */
function expectCleanPage({ errors, requests }: ViewerPage, adminUrl: string): void {
  expect(errors).toEqual([]);
  expect(requests.filter((url) => !url.startsWith(`${adminUrl}/`))).toEqual([]);
}

describe('trace viewer', () => {
  it('lists the traced requests, newest first, with status, services and an error mark', async () => {
    const { chain, viewer, ok, failed } = await scene();
    const { page } = viewer;
    await rowCount(page, 'tr.trace-row', 3);
    const rows = await page.$$eval('tr.trace-row', (trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-trace-id'),
        error: tr.classList.contains('error'),
        request: tr.querySelector('.request a')?.textContent,
        status: tr.querySelector('.pill')?.textContent,
        services: Array.from(tr.querySelectorAll('.chip'), (chip: { textContent: string | null }) => chip.textContent),
        spans: tr.querySelector('td.col-num')?.textContent,
      })),
    );
    expect(rows.map((row) => row.request)).toEqual(['GET /api/orders/2', 'GET /api/fail', 'GET /api/orders/1']);
    expect(rows.map((row) => row.status)).toEqual(['200', '503', '200']);
    expect(rows.map((row) => row.error)).toEqual([false, true, false]);
    expect(rows[0]).toMatchObject({ id: ok, services: ['backend', 'frontend'], spans: '4' });
    expect(rows[1]!.id).toBe(failed);
    expect(await page.textContent('.trace-row.error .badge-error')).toBe('error');
    await screenshot(page, 'viewer-trace-list');

    // Filters: status class, then errors only, then a route, then back to everything.
    await page.selectOption('select[name=status]', '5xx');
    await rowCount(page, 'tr.trace-row', 1);
    expect(await page.getAttribute('tr.trace-row', 'data-trace-id')).toBe(failed);
    await page.selectOption('select[name=status]', '');
    await rowCount(page, 'tr.trace-row', 3);
    await page.check('input[name=errors]');
    await rowCount(page, 'tr.trace-row', 1);
    await page.uncheck('input[name=errors]');
    await page.selectOption('select[name=route]', 'shop');
    await rowCount(page, 'tr.trace-row', 3);
    expect(await page.$$eval('select[name=route] option', (options) => options.map((o) => o.getAttribute('value')))).toEqual([
      '',
      'orders',
      'shop',
    ]);
    await page.fill('input[name=minDuration]', '60000');
    await page.waitForSelector('.empty:not([hidden])');
    expect(await page.textContent('.empty')).toBe('No trace matches these filters.');
    expectCleanPage(viewer, chain.b.adminUrl);
  });

  it('opens a trace as a waterfall: one bar per span, nested by parent, span details on click', async () => {
    const { chain, viewer, ok } = await scene();
    const { page } = viewer;
    await page.click(`tr.trace-row[data-trace-id="${ok}"]`);
    await rowCount(page, '.span-row', 4);
    expect(page.url()).toBe(`${chain.b.adminUrl}/#/trace/${ok}`);
    const spans = await page.$$eval('.span-row', (rows) =>
      rows.map((row) => ({
        id: row.getAttribute('data-span-id'),
        parentId: row.getAttribute('data-parent-id'),
        depth: Number(row.getAttribute('data-depth')),
        service: row.querySelector('.svc')?.textContent,
        kind: row.querySelector('.kind')?.textContent,
        bars: row.querySelectorAll('.span-bar').length,
        error: row.classList.contains('error'),
      })),
    );
    // Frontend's SERVER span, its CLIENT span, backend's SERVER span under it, backend's CLIENT span.
    expect(spans.map(({ depth, service, kind, bars, error }) => ({ depth, service, kind, bars, error }))).toEqual([
      { depth: 0, service: 'frontend', kind: 'server', bars: 1, error: false },
      { depth: 1, service: 'frontend', kind: 'client', bars: 1, error: false },
      { depth: 2, service: 'backend', kind: 'server', bars: 1, error: false },
      { depth: 3, service: 'backend', kind: 'client', bars: 1, error: false },
    ]);
    expect(spans[0]!.parentId).toBe('');
    for (let i = 1; i < spans.length; i += 1) expect(spans[i]!.parentId).toBe(spans[i - 1]!.id);
    // Each bar starts no earlier than its parent's, on one shared time axis.
    const lefts = await page.$$eval('.span-bar', (bars) => bars.map((bar) => bar.getBoundingClientRect().left));
    for (let i = 1; i < lefts.length; i += 1) expect(lefts[i]!).toBeGreaterThanOrEqual(lefts[i - 1]! - 0.5);
    expect(await page.textContent('.trace-head h1')).toBe('GET /api/orders/2');

    // The root span is selected first; clicking backend's CLIENT span shows its tags.
    expect(await page.textContent('.span-detail h2')).toBe('GET /api');
    await page.click(`.span-row[data-span-id="${spans[3]!.id}"]`);
    await page.waitForSelector(`.span-row.selected[data-span-id="${spans[3]!.id}"]`);
    const tags = await page.$$eval('.span-detail table.tags tr', (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent])),
    );
    expect(tags).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': '200',
      'server.address': '127.0.0.1',
      'server.port': String(chain.upstream.port),
      'url.full': `http://127.0.0.1:${chain.upstream.port}/api/orders/2`,
    });
    expect(await page.textContent('.span-detail')).toContain(`Parent id${spans[2]!.id}`);
    await screenshot(page, 'viewer-waterfall');
    expectCleanPage(viewer, chain.b.adminUrl);
  });

  it('marks a failed trace: error badge, failed spans and bars, the error message', async () => {
    const { chain, viewer, failed } = await scene(`#/trace/${'0'.repeat(31)}1`);
    const { page } = viewer;
    await page.waitForSelector('text=Trace not found');
    viewer.errors.length = 0; // the browser logs the expected 404 of that lookup as a console error
    await page.goto(`${chain.b.adminUrl}/#/trace/${failed}`);
    await rowCount(page, '.span-row', 4);
    expect(await page.textContent('.trace-head .badge-error')).toBe('4 errors');
    expect(await page.$$eval('.span-row.error .span-bar.error', (bars) => bars.length)).toBe(4);
    expect(await page.$$eval('.span-row.error .err-mark', (marks) => marks.map((mark) => mark.getAttribute('title')))).toEqual([
      'HTTP 503',
      'HTTP 503',
      'HTTP 503',
      'HTTP 503',
    ]);
    expect(await page.textContent('.span-detail .error-note')).toBe('Error: HTTP 503');
    expect(await page.textContent('.span-detail table.tags tr.error')).toBe('errorHTTP 503');
    await screenshot(page, 'viewer-error-trace');
    expectCleanPage(viewer, chain.b.adminUrl);
  });

  it('draws the service map: the edge between the two services with counts, error rate and latency', async () => {
    const { chain, viewer } = await scene('#/map');
    const { page } = viewer;
    const edge = 'g.map-edge[data-parent="frontend"][data-child="backend"]';
    await page.waitForSelector(edge, { state: 'attached' }); // a straight line has no height, so it never counts as visible
    // Callers left of callees: one column per hop.
    const nodes = await page.$$eval('g.map-node', (gs) =>
      gs.map((g) => ({ service: g.getAttribute('data-service'), x: g.getBoundingClientRect().left })).sort((p, q) => p.x - q.x),
    );
    expect(nodes.map((node) => node.service)).toEqual(['frontend', 'backend', `127.0.0.1:${chain.upstream.port}`]);
    expect(new Set(nodes.map((node) => node.x)).size).toBe(3);
    expect(await page.$$eval('g.map-node.untraced', (nodes) => nodes.map((node) => node.getAttribute('data-service')))).toEqual([
      `127.0.0.1:${chain.upstream.port}`,
    ]);
    const labels = await page.$$eval(`g.map-edge-label[data-parent="frontend"][data-child="backend"] text`, (texts) =>
      texts.map((text) => text.textContent),
    );
    expect(labels[0]).toBe('3 req · 33% err');
    expect(labels[1]).toMatch(/^p50 [\d.]+ (µs|ms) · p95 [\d.]+ (µs|ms)$/);
    expect(await page.getAttribute(edge, 'class')).toBe('map-edge error');
    const row = await page.$$eval('table.links tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td: { textContent: string | null }) => td.textContent).slice(0, 5)));
    expect(row).toEqual([
      ['backend', `127.0.0.1:${chain.upstream.port}`, '3', '1', '33%'],
      ['frontend', 'backend', '3', '1', '33%'],
    ]);
    await screenshot(page, 'viewer-service-map');
    expectCleanPage(viewer, chain.b.adminUrl);
  });

  it('refreshes live: a new request shows up in the open list without a reload', async () => {
    const { chain, viewer } = await scene();
    const { page } = viewer;
    await rowCount(page, 'tr.trace-row', 3);
    const late = await chain.request('/api/orders/late');
    await chain.flush();
    await page.waitForSelector(`tr.trace-row[data-trace-id="${late.traceId}"]`, { timeout: 6_000 });
    expect(await page.textContent('tr.trace-row:first-child .request a')).toBe('GET /api/orders/late');
    expectCleanPage(viewer, chain.b.adminUrl);
  });
});
