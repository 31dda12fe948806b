/**
 * Header rules of a hop. Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection only: they, and every
 * header the Connection header names, are removed in both directions. Trace headers of every known format
 * are removed from the outgoing request before the proxy injects its own.
 */
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { INCOMING_TRACE_HEADERS } from '../tracing/attributes.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'] as const;

/** Removes hop-by-hop and trace headers from a request about to go upstream (`from` is what arrived). */
export function cleanOutgoingHeaders(proxyReq: ClientRequest, from: IncomingHttpHeaders): void {
  const connection = from.connection;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && name !== 'close' && name !== 'keep-alive') proxyReq.removeHeader(name);
    }
  }
  for (const name of HOP_BY_HOP) if (from[name] !== undefined) proxyReq.removeHeader(name);
  // TE may only say "trailers" past the first hop.
  const te = from.te;
  if (typeof te === 'string' && te.trim().toLowerCase() !== 'trailers') proxyReq.removeHeader('te');
  for (const name of INCOMING_TRACE_HEADERS) if (from[name] !== undefined) proxyReq.removeHeader(name);
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
