/**
 * The one place a failure becomes an answer. Each ResponseError has its status; the body names the kind of
 * failure and nothing internal (no upstream address, no stack: SPEC §5). The same function marks the hop's
 * spans with `error.type`, so the client's status and the spans always agree.
 */
import type { ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { UpstreamDnsError, UpstreamRefusedError, UpstreamResetError, UpstreamTlsError, type ResponseError } from '../errors.js';
import { markError } from '../tracing/hop-spans.js';
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '../tracing/attributes.js';

export function respondError(res: ServerResponse, error: ResponseError, serverSpan: Span, clientSpan?: Span): void {
  if (clientSpan !== undefined) markError(clientSpan, error.errorType, error.message);
  serverSpan.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.status);
  // SPEC §3: only a 5xx makes the server span an error; a 404 is the client's mistake.
  if (error.status >= 500) markError(serverSpan, error.errorType, error.message);
  if (res.headersSent) {
    // Part of the upstream's answer is already out: the only honest signal left is a cut connection.
    res.destroy();
    return;
  }
  writeErrorBody(res, error);
}

/**
 * A request refused before it is traced or forwarded (over `limits`). The connection is closed after the
 * answer: a client that sent this may not be finished sending, and is not worth keeping.
 */
export function respondRefused(res: ServerResponse, error: ResponseError): void {
  res.shouldKeepAlive = false;
  writeErrorBody(res, error);
}

function writeErrorBody(res: ServerResponse, error: ResponseError): void {
  const body = JSON.stringify({ error: error.errorType, message: error.message });
  res.writeHead(error.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** What a socket-level failure of the upstream connection means for the client. */
export function upstreamErrorFor(cause: Error): ResponseError {
  const code = (cause as NodeJS.ErrnoException).code ?? '';
  if (code === 'ECONNREFUSED') return new UpstreamRefusedError({ cause });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return new UpstreamDnsError({ cause });
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return new UpstreamTlsError({ cause });
  return new UpstreamResetError({ cause });
}
