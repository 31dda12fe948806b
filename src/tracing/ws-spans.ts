/**
 * The session span of a WebSocket hop. The handshake is traced like any request (SERVER span, CLIENT span per
 * attempt) and those spans end at the 101, so the handshake's status and latency are exported at once and read
 * like any other request in Zipkin. The session then gets its own span, a child of the SERVER span, from the
 * 101 to the close: its duration, messages and bytes in each direction, the close code and reason and which
 * side closed. Keeping the SERVER span open instead would hide the whole trace until the session closed
 * (hours, for a dashboard) and make every WebSocket look like the slowest request of its route.
 */
import { type Attributes, type Context, type Span, SpanKind, type Tracer } from '@opentelemetry/api';
import {
  ATTR_HOPTRACE_ROUTE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_WS_CLIENT_BYTES,
  ATTR_WS_CLIENT_MAX_QUEUED,
  ATTR_WS_CLIENT_MESSAGES,
  ATTR_WS_CLIENT_PAUSES,
  ATTR_WS_CLOSE_CODE,
  ATTR_WS_CLOSE_REASON,
  ATTR_WS_CLOSED_BY,
  ATTR_WS_EXTENSIONS,
  ATTR_WS_SUBPROTOCOL,
  ATTR_WS_UPSTREAM_BYTES,
  ATTR_WS_UPSTREAM_MAX_QUEUED,
  ATTR_WS_UPSTREAM_MESSAGES,
  ATTR_WS_UPSTREAM_PAUSES,
  WS_SESSION_SPAN_PREFIX,
} from './attributes.js';
import { markError } from './hop-spans.js';

export interface SessionSpanInfo {
  readonly routeName: string;
  readonly httpRoute: string;
  readonly path: string;
  /** Negotiated subprotocol and extensions ('' when none). */
  readonly subprotocol: string;
  readonly extensions: string;
}

export interface SessionSpanEnd {
  readonly messagesFromClient: number;
  readonly bytesFromClient: number;
  readonly messagesFromUpstream: number;
  readonly bytesFromUpstream: number;
  readonly pausesFromClient: number;
  readonly maxQueuedFromClient: number;
  readonly pausesFromUpstream: number;
  readonly maxQueuedFromUpstream: number;
  readonly closeCode: number | undefined;
  readonly closeReason: string;
  readonly closedBy: string;
  readonly error: { readonly errorType: string; readonly message: string } | undefined;
}

export function startSessionSpan(tracer: Tracer, server: Context, info: SessionSpanInfo): Span {
  const attributes: Attributes = {
    [ATTR_HOPTRACE_ROUTE]: info.routeName,
    [ATTR_HTTP_ROUTE]: info.httpRoute,
    [ATTR_URL_PATH]: info.path,
  };
  if (info.subprotocol !== '') attributes[ATTR_WS_SUBPROTOCOL] = info.subprotocol;
  if (info.extensions !== '') attributes[ATTR_WS_EXTENSIONS] = info.extensions;
  return tracer.startSpan(`${WS_SESSION_SPAN_PREFIX} ${info.httpRoute}`, { kind: SpanKind.INTERNAL, attributes }, server);
}

export function endSessionSpan(span: Span, end: SessionSpanEnd): void {
  span.setAttributes({
    [ATTR_WS_CLIENT_MESSAGES]: end.messagesFromClient,
    [ATTR_WS_CLIENT_BYTES]: end.bytesFromClient,
    [ATTR_WS_UPSTREAM_MESSAGES]: end.messagesFromUpstream,
    [ATTR_WS_UPSTREAM_BYTES]: end.bytesFromUpstream,
    [ATTR_WS_CLIENT_PAUSES]: end.pausesFromClient,
    [ATTR_WS_CLIENT_MAX_QUEUED]: end.maxQueuedFromClient,
    [ATTR_WS_UPSTREAM_PAUSES]: end.pausesFromUpstream,
    [ATTR_WS_UPSTREAM_MAX_QUEUED]: end.maxQueuedFromUpstream,
    [ATTR_WS_CLOSED_BY]: end.closedBy,
  });
  if (end.closeCode !== undefined) span.setAttribute(ATTR_WS_CLOSE_CODE, end.closeCode);
  if (end.closeReason !== '') span.setAttribute(ATTR_WS_CLOSE_REASON, end.closeReason);
  if (end.error !== undefined) markError(span, end.error.errorType, end.error.message);
  span.end();
}
