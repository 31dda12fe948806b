/**
 * Host name resolution for upstream connections: the system resolver, except for names under the reserved
 * `.invalid` top-level domain, which fail at once without a query. RFC 6761 §6.4 asks exactly that of
 * resolver libraries ("SHOULD recognize 'invalid' names as special and SHOULD always return immediately
 * with a negative response"); glibc sends the query anyway, and a resolver that is slow to say no then
 * holds a thread of Node's small pool for seconds per request.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

export const lookupUpstream: LookupFunction = (hostname, options, callback) => {
  if (!isInvalidName(hostname)) {
    dns.lookup(hostname, options, callback);
    return;
  }
  const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname,
  });
  process.nextTick(() => callback(error, ''));
};

function isInvalidName(hostname: string): boolean {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1).toLowerCase() : hostname.toLowerCase();
  return name === 'invalid' || name.endsWith('.invalid');
}
