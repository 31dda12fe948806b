/**
 * The two spans of a hop (SPEC §3): a SERVER span from the request's arrival to the last byte of the
 * response, and a CLIENT span, its child, for each attempt to reach the upstream. Context is passed
 * explicitly; nothing relies on a global context manager.
 */
import { type Attributes, type Context, type Link, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HOPTRACE_ROUTE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_PEER_SERVICE,
  ATTR_SERVER_PORT,
  ATTR_URL_QUERY,
  ATTR_USER_AGENT_ORIGINAL,
} from './attributes.js';
import { setOwnAttributes } from './hop-tracer.js';

/**
 * What a recorded SERVER span says about its request (SPEC §3). Built only for a span that is recorded:
 * most requests of a sampled-down proxy are not, and for them nothing here is worked out at all.
 */
export interface ServerSpanInfo {
  readonly method: string;
  readonly path: string;
  readonly scheme: 'http' | 'https';
  readonly serverAddress: string;
  readonly serverPort: number | undefined;
  readonly clientAddress: string | undefined;
  readonly userAgent: string | undefined;
  readonly protocolVersion: string;
  /** The matched route's name and `http.route`; undefined when no route matched. */
  readonly routeName: string | undefined;
  readonly httpRoute: string | undefined;
  /** `url.query` as the route's capture policy redacted it (capture.ts); undefined when there is none. */
  readonly query?: string;
}

/** What a recorded CLIENT span says about its attempt. */
export interface ClientSpanInfo {
  readonly method: string;
  readonly url: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly peerService: string | undefined;
}

/**
 * Starts the SERVER span of a request, named `METHOD http.route` (`METHOD` when no route matched), linked
 * to `links` (an untrusted incoming trace). Its attributes follow from describeServerSpan once the span is
 * known to be recorded: hoptrace's samplers decide on the trace id and the parent alone (SPEC §2), never on
 * attributes, so none are needed to start it.
 */
export function startServerSpan(tracer: Tracer, parent: Context, method: string, httpRoute: string | undefined, links?: Link[]): Span {
  const name = httpRoute === undefined ? method : `${method} ${httpRoute}`;
  return tracer.startSpan(name, { kind: SpanKind.SERVER, links }, parent);
}

/** The request's attributes on a recorded SERVER span. */
export function describeServerSpan(span: Span, info: ServerSpanInfo): void {
  // Keys written out rather than computed from the constants: an object literal with plain keys is made
  // from one template, a computed key is a slow dictionary store (test/unit/tracing/hop-spans.test.ts checks
  // the keys against the constants).
  const attributes: Attributes = {
    'http.request.method': info.method,
    'url.path': info.path,
    'url.scheme': info.scheme,
    'server.address': info.serverAddress,
    'network.protocol.version': info.protocolVersion,
  };
  if (info.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = info.serverPort;
  if (info.clientAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = info.clientAddress;
  if (info.userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = info.userAgent;
  if (info.httpRoute !== undefined) attributes[ATTR_HTTP_ROUTE] = info.httpRoute;
  if (info.routeName !== undefined) attributes[ATTR_HOPTRACE_ROUTE] = info.routeName;
  if (info.query !== undefined) attributes[ATTR_URL_QUERY] = info.query;
  setOwnAttributes(span, attributes);
}

/** Starts a CLIENT span, `METHOD http.route`, child of the SERVER span in `server`; see startServerSpan. */
export function startClientSpan(tracer: Tracer, server: Context, method: string, httpRoute: string): Span {
  return tracer.startSpan(`${method} ${httpRoute}`, { kind: SpanKind.CLIENT }, server);
}

/** The attempt's attributes on a recorded CLIENT span. */
export function describeClientSpan(span: Span, info: ClientSpanInfo): void {
  const attributes: Attributes = {
    'http.request.method': info.method,
    'server.address': info.serverAddress,
    'server.port': info.serverPort,
    'url.full': info.url,
  };
  if (info.peerService !== undefined) attributes[ATTR_PEER_SERVICE] = info.peerService;
  setOwnAttributes(span, attributes);
}

/** The context whose active span is `span`: the parent for its children and for propagation. */
export function contextWith(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span);
}

/** SPEC §3: a server span is an error for 5xx. */
export function recordServerStatus(span: Span, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= 500) markError(span, String(status), `HTTP ${status}`);
}

/** SPEC §3: a client span is an error for 4xx and 5xx. */
export function recordClientStatus(span: Span, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= 400) markError(span, String(status), `HTTP ${status}`);
}

/** Marks a span as failed with `error.type` (a status code, or a named failure such as `timeout`). */
export function markError(span: Span, errorType: string, message: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
