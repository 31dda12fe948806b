/**
 * The three match rules of SPEC §2, each compiled once per route into a plain predicate:
 * host (exact, or `*.suffix`; the Host header's port is ignored), segment-aware path prefix, methods.
 */
import type { RouteMatch } from '../config/types.js';

export type Matcher = (method: string, host: string, path: string) => boolean;

export function compileMatch(match: RouteMatch): Matcher {
  const host = hostMatcher(match.host);
  const prefix = match.pathPrefix;
  const methods = match.methods === undefined ? undefined : new Set(match.methods);
  return (method, requestHost, path) =>
    (methods === undefined || methods.has(method)) &&
    (host === undefined || host(requestHost)) &&
    (prefix === undefined || pathHasPrefix(path, prefix));
}

function hostMatcher(pattern: string | undefined): ((host: string) => boolean) | undefined {
  if (pattern === undefined) return undefined;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".example.com": a subdomain of any depth, not the bare domain
    return (host) => host.length > suffix.length && host.endsWith(suffix);
  }
  return (host) => host === pattern;
}

/** `/api` matches `/api` and `/api/x`, not `/apix`. The prefix has no trailing slash (see defaults.ts). */
export function pathHasPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f);
}

/** Lower-cased host name of a Host header value, without its port: `API.x:8080` → `api.x`, `[::1]:80` → `[::1]`. */
export function hostWithoutPort(host: string | undefined): string {
  if (host === undefined || host === '') return '';
  const lower = host.toLowerCase();
  if (lower.charCodeAt(0) === 0x5b /* [ */) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}
