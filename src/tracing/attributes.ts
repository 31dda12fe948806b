/**
 * Every attribute key, header name and span name the proxy writes, as named constants. Keys come from the
 * OpenTelemetry semantic conventions package where it has them (stable HTTP conventions).
 */
export {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_HEADER,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_HEADER,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

/** `peer.service`: still in the incubating conventions, whose entry point is large; one key is copied. */
export const ATTR_PEER_SERVICE = 'peer.service';
/** The routes.json route that handled the request. */
export const ATTR_HOPTRACE_ROUTE = 'hoptrace.route';

export const TRACE_RESPONSE_HEADER = 'traceresponse';

/*
 * WebSocket sessions. OpenTelemetry has no conventions for them yet, so the keys live under `hoptrace.`.
 * Directions are named from the client's side: `client_to_upstream` is what the client sent.
 * Bytes are message payload bytes (after permessage-deflate is undone), not frame or TCP bytes.
 */
export const ATTR_WS_CLIENT_MESSAGES = 'hoptrace.websocket.client_to_upstream.messages';
export const ATTR_WS_CLIENT_BYTES = 'hoptrace.websocket.client_to_upstream.bytes';
export const ATTR_WS_UPSTREAM_MESSAGES = 'hoptrace.websocket.upstream_to_client.messages';
export const ATTR_WS_UPSTREAM_BYTES = 'hoptrace.websocket.upstream_to_client.bytes';
/**
 * Backpressure: how often the proxy stopped reading one side because the other had more than the high-water
 * mark queued (a slow consumer), and the most bytes that were ever queued towards the other side.
 */
export const ATTR_WS_CLIENT_PAUSES = 'hoptrace.websocket.client_to_upstream.pauses';
export const ATTR_WS_CLIENT_MAX_QUEUED = 'hoptrace.websocket.client_to_upstream.max_queued_bytes';
export const ATTR_WS_UPSTREAM_PAUSES = 'hoptrace.websocket.upstream_to_client.pauses';
export const ATTR_WS_UPSTREAM_MAX_QUEUED = 'hoptrace.websocket.upstream_to_client.max_queued_bytes';
/** The close code the session ended with (1006 when a side vanished without a close frame). */
export const ATTR_WS_CLOSE_CODE = 'hoptrace.websocket.close.code';
export const ATTR_WS_CLOSE_REASON = 'hoptrace.websocket.close.reason';
/** `client`, `upstream`, or `proxy` (idle timeout, shutdown). */
export const ATTR_WS_CLOSED_BY = 'hoptrace.websocket.close.by';
export const ATTR_WS_SUBPROTOCOL = 'hoptrace.websocket.subprotocol';
export const ATTR_WS_EXTENSIONS = 'hoptrace.websocket.extensions';
/** Name of a session span: `websocket /chat`. */
export const WS_SESSION_SPAN_PREFIX = 'websocket';

/**
 * Every trace header of every format hoptrace knows. They are all removed from a request before the
 * proxy injects its own, so nothing stale (an invalid traceparent's tracestate, a b3 header the config
 * does not propagate) reaches the upstream.
 */
export const INCOMING_TRACE_HEADERS: readonly string[] = [
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
];

/** W3C Trace Context `tracestate` and W3C Baggage `baggage`: size-capped on arrival (limits). */
export const TRACE_STATE_HEADER = 'tracestate';
export const BAGGAGE_HEADER = 'baggage';
