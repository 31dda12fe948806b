/**
 * X-Forwarded-* for the upstream, the same for an HTTP request and a WebSocket handshake: For, Port and
 * Proto appended to what the client sent (a proxy in front of us keeps its entries), Host kept when the
 * client sent one and set from the Host header otherwise. This is the shape http-proxy's `xfwd` gives, the
 * one upstreams behind Node proxies already expect.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const FORWARDED_HEADER_NAMES = ['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-host'] as const;

/** The four headers' values for `req`, in FORWARDED_HEADER_NAMES order. */
export function forwardedValues(req: IncomingMessage): [string, string, string, string] {
  const headers = req.headers;
  const encrypted = (req.socket as TLSSocket).encrypted === true;
  const host = headers.host;
  return [
    appended(headers['x-forwarded-for'], req.socket.remoteAddress ?? ''),
    appended(headers['x-forwarded-port'], portOf(host) ?? (encrypted ? '443' : '80')),
    appended(headers['x-forwarded-proto'], encrypted ? 'https' : 'http'),
    single(headers['x-forwarded-host']) || host || '',
  ];
}

function appended(current: string | string[] | undefined, value: string): string {
  const before = single(current);
  return before === undefined || before === '' ? value : `${before},${value}`;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The digits after the last colon of a Host header (none for a bracketed IPv6 address without a port). */
function portOf(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon === -1 || colon === host.length - 1) return undefined;
  for (let i = colon + 1; i < host.length; i += 1) {
    const code = host.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  return host.slice(colon + 1);
}
