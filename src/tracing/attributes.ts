/**
 * Every attribute key, header name and span name the proxy writes, as named constants. Keys come from the
 * OpenTelemetry semantic conventions package where it has them (stable HTTP conventions).
 */
export {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_HEADER,
  ATTR_HTTP_REQUEST_METHOD,
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
