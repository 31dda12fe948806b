/**
 * Header rules of a hop. Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection only: they, and every
 * header the Connection header names, are removed in both directions. Trace headers of every known format
 * are removed from the outgoing request before the proxy injects its own.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { INCOMING_TRACE_HEADERS } from '../tracing/attributes.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'] as const;

/**
 * Removes hop-by-hop and trace headers from an arrived request, in place, before it is forwarded: each
 * upstream attempt copies the request's headers, so they are cleaned once, here. The client's own
 * `Connection: close` is Node's to honour on the client's connection; the upstream connection is the
 * agent's to keep alive.
 */
export function stripRequestHeaders(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  if (connection !== undefined) removeConnectionNamed(headers, connection);
  for (const name of HOP_BY_HOP) delete headers[name];
  // TE may only say "trailers" past the first hop.
  const te = headers.te;
  if (typeof te === 'string' && te.trim().toLowerCase() !== 'trailers') delete headers.te;
  for (const name of INCOMING_TRACE_HEADERS) delete headers[name];
}

/**
 * Header names of an upstream's answer that are never copied to the client (forward.ts leaves them out as it
 * reads the answer), besides those its Connection headers name (connectionTokens). Transfer-Encoding is one:
 * Node frames the body for the client itself (chunked for HTTP/1.1, to the close for HTTP/1.0).
 */
export const RESPONSE_HOP_BY_HOP: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'transfer-encoding']);

/** The header names a Connection header's value lists (RFC 9110 §7.6.1), lower-cased. */
export function connectionTokens(connection: string): string[] {
  const names: string[] = [];
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '') names.push(name);
  }
  return names;
}

/** The headers a Connection header's value (`connection`) names, removed from `headers` in place. */
export function removeConnectionNamed(headers: IncomingHttpHeaders, connection: string): void {
  for (const name of connectionTokens(connection)) delete headers[name];
}

/** No Content-Length (or zero) and no Transfer-Encoding: RFC 9112 §6.3, the request ends with its headers. */
export function declaresNoBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length === undefined || length === '0') && headers['transfer-encoding'] === undefined;
}
