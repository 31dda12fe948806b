/**
 * Who may use the admin port (SPEC §2, §4). On a loopback address anyone on the host may; on any other
 * address every request must carry `Authorization: Bearer <token>`, the token coming from the environment
 * variable HOPTRACE_ADMIN_TOKEN only (never the config file, so it never shows in the config or a dump
 * of it), and the proxy refuses to start without it. `/healthz` and `/readyz` stay open for probes.
 *
 * The presented token is compared in constant time: both sides are hashed to 32-byte SHA-256 digests
 * first, so timingSafeEqual always compares equal lengths and the time taken says nothing about the token,
 * not even its length. The raw token is not kept, only its digest. A refusal is the same for a missing
 * and a wrong token, and names nothing but the scheme.
 *
 * A browser cannot add an Authorization header to a page it opens, so the viewer signs in once with
 * `/?token=<token>`: the answer sets an HttpOnly, SameSite=Strict session cookie and redirects to `/`,
 * dropping the token from the address bar. The cookie holds an HMAC derived from the token, never the
 * token itself, and is checked in constant time like the header.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { HostPort } from '../config/types.js';
import { AdminTokenMissingError } from '../errors.js';

export const ADMIN_TOKEN_ENV = 'HOPTRACE_ADMIN_TOKEN';

/** Paths that answer without a token: probes must not need a secret. */
export const OPEN_ADMIN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** Lets a request through (true), or answers it 401 itself (false). */
export type AdminGuard = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

const BEARER = 'bearer ';
const UNAUTHORIZED_BODY = JSON.stringify({ error: 'unauthorized' });
export const SESSION_COOKIE = 'hoptrace_admin';
const SESSION_LABEL = 'hoptrace admin session v1';

/**
 * The guard for an admin port bound to `admin`: none on loopback, a bearer-token check elsewhere.
 * Throws AdminTokenMissingError when the address needs a token and `token` is missing or blank.
 */
export function adminGuardFor(admin: HostPort, token: string | undefined): AdminGuard | undefined {
  if (isLoopback(admin.host)) return undefined;
  // Header values lose surrounding whitespace in transit, so a token padded with it could never match.
  const trimmed = token?.trim() ?? '';
  if (trimmed === '') throw new AdminTokenMissingError(formatHostPort(admin));
  return createBearerGuard(trimmed);
}

export function createBearerGuard(token: string): AdminGuard {
  const expected = digest(token);
  const session = createHmac('sha256', expected).update(SESSION_LABEL).digest();
  return (req, res, path) => {
    if (OPEN_ADMIN_PATHS.has(path) || hasToken(req.headers.authorization, expected) || hasSession(req.headers.cookie, session)) {
      return true;
    }
    if (path === '/' && signIn(req, res, expected, session)) return false;
    res.writeHead(401, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(UNAUTHORIZED_BODY),
      'www-authenticate': 'Bearer realm="hoptrace"',
    });
    res.end(UNAUTHORIZED_BODY);
    return false;
  };
}

/** `GET /?token=<token>`: answers with the session cookie and a redirect to `/` when the token is right. */
function signIn(req: IncomingMessage, res: ServerResponse, expected: Buffer, session: Buffer): boolean {
  const presented = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('token');
  if (presented === null || !timingSafeEqual(digest(presented.trim()), expected)) return false;
  res.writeHead(303, {
    location: '/',
    'set-cookie': `${SESSION_COOKIE}=${session.toString('hex')}; HttpOnly; SameSite=Strict; Path=/`,
    'content-length': 0,
  });
  res.end();
  return true;
}

function hasToken(authorization: string | undefined, expected: Buffer): boolean {
  // RFC 9110 §11.1: the scheme name is case-insensitive.
  if (authorization === undefined || authorization.slice(0, BEARER.length).toLowerCase() !== BEARER) return false;
  return timingSafeEqual(digest(authorization.slice(BEARER.length).trim()), expected);
}

function hasSession(cookie: string | undefined, session: Buffer): boolean {
  if (cookie === undefined) return false;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = Buffer.from(part.slice(eq + 1).trim(), 'hex');
      if (value.length === session.length && timingSafeEqual(value, session)) return true;
    }
  }
  return false;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** 127.0.0.0/8, ::1 (and its IPv4-mapped form of 127.x), and `localhost`; a host name may resolve anywhere. */
export function isLoopback(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower === '::1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
