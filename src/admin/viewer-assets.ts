/**
 * Serves the trace viewer (SPEC §4: `GET /` on the admin port): plain HTML, CSS and JS modules from the
 * project's `viewer/` folder, read once when the app is created. No build step, and nothing is fetched from
 * other hosts: the Content-Security-Policy sent with the page forbids it. Each file carries an ETag and
 * `Cache-Control: no-cache`, so a browser revalidates cheaply (304) and never runs a stale viewer.
 *
 * The folder sits beside `src/` and `dist/`, so the same relative URL finds it from the sources (tests) and
 * from the build (the CLI).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { ServerResponse } from 'node:http';
import { sendText, type AdminRoute } from './server.js';

export const VIEWER_DIR = new URL('../../viewer/', import.meta.url);
export const VIEWER_ASSET_PREFIX = '/viewer/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

export function viewerRoutes(dir: URL = VIEWER_DIR): AdminRoute[] {
  const assets = loadAssets(dir);
  const serve = (res: ServerResponse, ifNoneMatch: string | undefined, name: string): void => {
    const asset = assets.get(name);
    if (asset === undefined) {
      sendText(res, 404, assets.size === 0 ? 'the viewer files are missing from this installation\n' : 'not found\n');
      return;
    }
    const headers = { ...SECURITY_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' };
    if (ifNoneMatch === asset.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': asset.contentType, 'content-length': asset.body.length });
    res.end(asset.body);
  };
  return [
    { method: 'GET', path: '/', handler: (req, res) => serve(res, req.headers['if-none-match'], 'index.html') },
    {
      method: 'GET',
      path: VIEWER_ASSET_PREFIX,
      prefix: true,
      handler: (req, res, url) => serve(res, req.headers['if-none-match'], url.pathname.slice(VIEWER_ASSET_PREFIX.length)),
    },
  ];
}

/** Every file of the folder whose type is known, by name; none when the folder is missing. */
function loadAssets(dir: URL): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = readFileSync(new URL(name, dir));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
