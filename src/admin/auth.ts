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
 */
import { createHash, timingSafeEqual } from 'node:crypto';
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
  return (req, res, path) => {
    if (OPEN_ADMIN_PATHS.has(path) || hasToken(req.headers.authorization, expected)) return true;
    res.writeHead(401, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(UNAUTHORIZED_BODY),
      'www-authenticate': 'Bearer realm="hoptrace"',
    });
    res.end(UNAUTHORIZED_BODY);
    return false;
  };
}

function hasToken(authorization: string | undefined, expected: Buffer): boolean {
  // RFC 9110 §11.1: the scheme name is case-insensitive.
  if (authorization === undefined || authorization.slice(0, BEARER.length).toLowerCase() !== BEARER) return false;
  return timingSafeEqual(digest(authorization.slice(BEARER.length).trim()), expected);
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
