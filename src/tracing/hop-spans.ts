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
import type { HopSpanOptions } from './hop-tracer.js';

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
  /** Contexts the span is linked to without being their child (an untrusted incoming trace). */
  readonly links?: Link[];
  /** `url.query` as the route's capture policy redacted it (capture.ts); undefined when there is none. */
  readonly query?: string;
}

export interface ClientSpanInfo {
  readonly method: string;
  readonly httpRoute: string;
  readonly url: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly peerService: string | undefined;
}

export function startServerSpan(tracer: Tracer, parent: Context, info: ServerSpanInfo): Span {
  // Keys written out rather than computed from the constants: an object literal with plain keys is made
  // from one template, a computed key is a slow dictionary store (test/unit/hop-spans.test.ts checks the
  // keys against the constants).
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
  const name = info.httpRoute === undefined ? info.method : `${info.method} ${info.httpRoute}`;
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, links: info.links, ownAttributes: true } as HopSpanOptions, parent);
}

export function startClientSpan(tracer: Tracer, server: Context, info: ClientSpanInfo): Span {
  const attributes: Attributes = {
    'http.request.method': info.method,
    'server.address': info.serverAddress,
    'server.port': info.serverPort,
    'url.full': info.url,
  };
  if (info.peerService !== undefined) attributes[ATTR_PEER_SERVICE] = info.peerService;
  return tracer.startSpan(`${info.method} ${info.httpRoute}`, { kind: SpanKind.CLIENT, attributes, ownAttributes: true } as HopSpanOptions, server);
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
