/**
 * `limits` applied to a request that Node's parser accepted, before anything else looks at it:
 *
 * - too many header fields → 431, and a request target longer than `maxUrlLength` → 414; nothing is
 *   forwarded or traced, as for the parser's own 400/431;
 * - hostile trace headers are cut, never echoed upstream whole: a `tracestate` past its cap is truncated
 *   by members (W3C Trace Context), a `baggage` past its cap is dropped (W3C Baggage allows dropping what
 *   exceeds 8192 bytes).
 *
 * The header block's size is capped by the parser itself (`maxHeaderSize`, see server.ts). Header values
 * reach us as latin1 strings, one character per byte, so `length` is the size on the wire.
 */
import type { IncomingMessage } from 'node:http';
import type { LimitsConfig } from '../config/types.js';
import { RequestHeadersTooLargeError, RequestUriTooLongError, type ResponseError } from '../errors.js';
import { BAGGAGE_HEADER, TRACE_STATE_HEADER } from '../tracing/attributes.js';
import { truncateTracestate } from '../tracing/tracestate-limit.js';

/** The refusal for a request over `limits`, or undefined after cutting its trace headers to size. */
export function screenRequest(req: IncomingMessage, limits: LimitsConfig): ResponseError | undefined {
  // server.ts sets the parser's maxHeadersCount one above the limit, so "over" is visible here.
  if (req.rawHeaders.length > limits.maxHeaderCount * 2) return new RequestHeadersTooLargeError();
  if ((req.url ?? '').length > limits.maxUrlLength) return new RequestUriTooLongError();
  const headers = req.headers;
  const tracestate = headers[TRACE_STATE_HEADER];
  if (typeof tracestate === 'string' && tracestate.length > limits.maxTracestateLength) {
    headers[TRACE_STATE_HEADER] = truncateTracestate(tracestate, limits.maxTracestateLength);
  }
  const baggage = headers[BAGGAGE_HEADER];
  if (typeof baggage === 'string' && baggage.length > limits.maxBaggageBytes) delete headers[BAGGAGE_HEADER];
  return undefined;
}

/** Node's parser keeps this many header fields and silently drops the rest; one more than the limit. */
export function parserHeaderCount(limits: LimitsConfig): number {
  return limits.maxHeaderCount + 1;
}
