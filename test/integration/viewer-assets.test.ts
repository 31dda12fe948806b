/**
 * The viewer's files on the admin port: served from the project's viewer/ folder whether the app runs from
 * the sources (tests) or from the build (the CLI), with content types, ETag revalidation and a
 * Content-Security-Policy that keeps the page on its own host.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCli, writeConfig } from '../helpers/cli.js';
import { startProxy } from '../helpers/proxy.js';

const ROUTES = [{ name: 'r', match: { pathPrefix: '/' }, upstream: 'http://127.0.0.1:9' }];
const INDEX = readFileSync(new URL('../../viewer/index.html', import.meta.url), 'utf8');

describe('viewer assets', () => {
  it('serves the page and its modules with content types, CSP and ETag revalidation', async () => {
    const { adminUrl } = await startProxy({ routes: ROUTES });
    const page = await fetch(`${adminUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
    const etag = page.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);

    const again = await fetch(`${adminUrl}/`, { headers: { 'if-none-match': etag } });
    expect([again.status, await again.text()]).toEqual([304, '']);

    for (const [path, type] of [
      ['/viewer/app.js', 'text/javascript; charset=utf-8'],
      ['/viewer/waterfall.js', 'text/javascript; charset=utf-8'],
      ['/viewer/style.css', 'text/css; charset=utf-8'],
    ] as const) {
      const asset = await fetch(`${adminUrl}${path}`);
      expect([path, asset.status, asset.headers.get('content-type')]).toEqual([path, 200, type]);
      expect(await asset.text()).toBe(readFileSync(new URL(`../..${path}`, import.meta.url), 'utf8'));
    }
    const missing = await fetch(`${adminUrl}/viewer/missing.js`);
    expect([missing.status, await missing.text()]).toEqual([404, 'not found\n']);
    const head = await fetch(`${adminUrl}/`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, String(Buffer.byteLength(INDEX)), '']);
  });

  it('finds the viewer from the built CLI as well', async () => {
    const cli = await startCli(writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: ROUTES }));
    const page = await fetch(`http://${cli.admin}/`);
    expect([page.status, await page.text()]).toEqual([200, INDEX]);
    const services = await fetch(`http://${cli.admin}/api/v2/services`);
    expect([services.status, await services.json()]).toEqual([200, []]);
  });
});
