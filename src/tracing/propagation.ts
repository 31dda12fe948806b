/**
 * The propagator for a config's `tracing.propagation`, built from OpenTelemetry's own propagators. Header
 * carriers are Node's lower-cased `IncomingHttpHeaders` on the way in and the outgoing `ClientRequest` on
 * the way out.
 */
import type { OutgoingMessage, IncomingHttpHeaders } from 'node:http';
import type { TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import type { PropagationFormat } from '../config/types.js';

export const headersGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export const outgoingSetter: TextMapSetter<OutgoingMessage> = {
  set: (carrier, key, value) => {
    carrier.setHeader(key, value);
  },
};

/** For headers gathered in a plain object before a request exists (a WebSocket handshake). */
export const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

export function createPropagator(formats: readonly PropagationFormat[]): TextMapPropagator {
  const propagators = formats.map(propagatorFor);
  return propagators.length === 1 ? propagators[0]! : new CompositePropagator({ propagators });
}

function propagatorFor(format: PropagationFormat): TextMapPropagator {
  switch (format) {
    case 'tracecontext':
      return new W3CTraceContextPropagator();
    case 'b3':
      return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
    case 'jaeger':
      return new JaegerPropagator();
  }
}
