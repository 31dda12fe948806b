/**
 * Header rules of a hop. Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection only: they, and every
 * header the Connection header names, are removed in both directions. Trace headers of every known format
 * are removed from the outgoing request before the proxy injects its own.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { INCOMING_TRACE_HEADERS } from '../tracing/attributes.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'] as const;

/**
 * Removes hop-by-hop and trace headers from an arrived request, in place, before it is forwarded: http-proxy
 * copies the request's headers to each upstream attempt, so they are cleaned once, here, and never on the
 * upstream request itself (whose headers may already be out: a request queued for an agent socket, or one
 * with `Expect`, is only handed over after it was sent). A client's `Connection: close` is kept, so the
 * answer closes its connection as asked.
 */
export function stripRequestHeaders(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  let wantsClose = false;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name === 'close') wantsClose = true;
      else if (name !== '' && name !== 'keep-alive') delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) delete headers[name];
  if (wantsClose) headers.connection = 'close';
  // TE may only say "trailers" past the first hop.
  const te = headers.te;
  if (typeof te === 'string' && te.trim().toLowerCase() !== 'trailers') delete headers.te;
  for (const name of INCOMING_TRACE_HEADERS) delete headers[name];
}

/** Removes hop-by-hop headers from an upstream response before it is copied to the client. */
export function cleanResponseHeaders(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) delete headers[name];
}
