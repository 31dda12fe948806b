/**
 * The header carriers of a hop: Node's lower-cased `IncomingHttpHeaders` on the way in; on the way out a
 * flat `[name, value, …]` list (an HTTP attempt's extra headers) or a plain object (a WebSocket handshake). The propagator itself (one file per format plus the dispatcher that picks
 * the first valid context) lives in propagation/.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

export { createPropagator } from './propagation/composite.js';
export { formatTraceParent } from './propagation/tracecontext.js';

export const headersGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** For headers gathered in a plain object before a request exists (a WebSocket handshake). */
export const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** For an HTTP attempt's extra headers, kept as the flat list the forwarder sends. */
export const listSetter: TextMapSetter<string[]> = {
  set: (carrier, key, value) => {
    carrier.push(key, value);
  },
};
