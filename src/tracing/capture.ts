/**
 * A route's capture policy (SPEC §2, §3), compiled once per route when the route table is built:
 *
 * - only the listed headers are recorded, as `http.request.header.<name>` / `http.response.header.<name>`
 *   with a string-array value, as the semantic conventions define them; `authorization`,
 *   `proxy-authorization`, `cookie` and `set-cookie` never are, even when listed;
 * - `url.query` keeps every parameter name but only the listed parameters' values: every other value is
 *   written as `REDACTED` (the form the semantic conventions use for scrubbed query values).
 *
 * The request path pays for a policy only when there is something to do: a route that lists no header
 * loops over an empty array, and a request without a query string skips the redaction.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import type { CaptureConfig } from '../config/types.js';
import { NEVER_CAPTURED_HEADERS } from '../config/capture-rules.js';
import { ATTR_HTTP_REQUEST_HEADER, ATTR_HTTP_RESPONSE_HEADER } from './attributes.js';

export const REDACTED = 'REDACTED';

interface HeaderCapture {
  /** Lower-case header name, as Node keys incoming headers. */
  readonly header: string;
  readonly attribute: string;
}

export interface CapturePolicy {
  readonly requestHeaders: readonly HeaderCapture[];
  readonly responseHeaders: readonly HeaderCapture[];
  /** Parameters whose values `url.query` keeps, compared as sent (not percent-decoded). */
  readonly queryParams: ReadonlySet<string>;
}

/** What a request that matched no route records: no header, and no query value. */
export const NO_CAPTURE: CapturePolicy = { requestHeaders: [], responseHeaders: [], queryParams: new Set() };

export function createCapturePolicy(config: CaptureConfig): CapturePolicy {
  // The config has already dropped the never-captured headers; filtering again keeps this module safe on its own.
  const headers = (names: readonly string[], attribute: (name: string) => string): HeaderCapture[] =>
    names
      .map((name) => name.toLowerCase())
      .filter((name) => !NEVER_CAPTURED_HEADERS.has(name))
      .map((header) => ({ header, attribute: attribute(header) }));
  return {
    requestHeaders: headers(config.requestHeaders, ATTR_HTTP_REQUEST_HEADER),
    responseHeaders: headers(config.responseHeaders, ATTR_HTTP_RESPONSE_HEADER),
    queryParams: new Set(config.queryParams),
  };
}

/**
 * The listed headers present in `headers`, as attributes. Node joins repeated fields into one string, so
 * the value is a one-item array (which the conventions allow) and stays within the span's value length cap.
 */
export function headerAttributes(captures: readonly HeaderCapture[], headers: IncomingHttpHeaders): Attributes | undefined {
  let attributes: Attributes | undefined;
  for (const { header, attribute } of captures) {
    const value = headers[header];
    if (value === undefined) continue;
    (attributes ??= {})[attribute] = Array.isArray(value) ? value : [value];
  }
  return attributes;
}

/**
 * `url.query` for a request's search string (`?a=1&b=2`, or '' when it has none): parameter names kept,
 * values kept only for `keep`, every other value `REDACTED`. Undefined when there is no query to record.
 */
export function redactQuery(search: string, keep: ReadonlySet<string>): string | undefined {
  if (search.length <= 1) return undefined;
  let out = '';
  let start = 1;
  while (start <= search.length) {
    let end = search.indexOf('&', start);
    if (end === -1) end = search.length;
    const equals = search.indexOf('=', start);
    if (equals === -1 || equals >= end || equals === end - 1 || keep.has(search.slice(start, equals))) {
      out += search.slice(start, end); // no value, an empty value, or a listed parameter
    } else {
      out += `${search.slice(start, equals + 1)}${REDACTED}`;
    }
    if (end < search.length) out += '&';
    start = end + 1;
  }
  return out;
}
