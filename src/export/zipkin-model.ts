/**
 * OpenTelemetry span → Zipkin v2 JSON span. One conversion serves the Zipkin exporter, the console
 * exporter and the built-in store, so all three show the same thing.
 *
 * It differs from @opentelemetry/exporter-zipkin's transform on purpose:
 * - `localEndpoint.serviceName` is the route's service, read from the span's resource (one per service);
 * - a CLIENT span gets a `remoteEndpoint` naming its upstream (`peer.service`, else the upstream's host),
 *   so Zipkin's dependency graph shows the upstream even when nothing traced runs there (SPEC §3);
 * - an error span always carries the `error` tag (its status message, else its `error.type`), where the
 *   published transform writes it only when the status has a message;
 * - resource attributes are not copied into every span's tags.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_PEER_SERVICE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME } from '../tracing/attributes.js';

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  timestamp: number;
  value: string;
}

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp?: number;
  duration?: number;
  debug?: boolean;
  shared?: boolean;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: ZipkinAnnotation[];
  tags?: Record<string, string>;
}

export const ZIPKIN_ERROR_TAG = 'error';
export const ZIPKIN_STATUS_CODE_TAG = 'otel.status_code';

const KIND: Partial<Record<SpanKind, ZipkinSpan['kind']>> = {
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function toZipkinSpan(span: ReadableSpan): ZipkinSpan {
  const context = span.spanContext();
  const tags: Record<string, string> = {};
  for (const key in span.attributes) tags[key] = String(span.attributes[key]);
  if (span.status.code !== SpanStatusCode.UNSET) tags[ZIPKIN_STATUS_CODE_TAG] = SpanStatusCode[span.status.code];
  if (span.status.code === SpanStatusCode.ERROR) {
    tags[ZIPKIN_ERROR_TAG] = span.status.message || String(span.attributes[ATTR_ERROR_TYPE] ?? 'true');
  }
  const zipkin: ZipkinSpan = {
    traceId: context.traceId,
    id: context.spanId,
    name: span.name,
    timestamp: toMicros(span.startTime),
    duration: Math.max(1, Math.round(toMicros(span.duration))),
    localEndpoint: { serviceName: String(span.resource.attributes[ATTR_SERVICE_NAME] ?? 'hoptrace') },
    tags,
  };
  const parentId = span.parentSpanContext?.spanId;
  if (parentId !== undefined) zipkin.parentId = parentId;
  const kind = KIND[span.kind];
  if (kind !== undefined) zipkin.kind = kind;
  if (span.kind === SpanKind.CLIENT) zipkin.remoteEndpoint = remoteEndpoint(span);
  if (span.events.length > 0) {
    zipkin.annotations = span.events.map((event) => ({ timestamp: Math.round(toMicros(event.time)), value: event.name }));
  }
  return zipkin;
}

function remoteEndpoint(span: ReadableSpan): ZipkinEndpoint {
  const address = span.attributes[ATTR_SERVER_ADDRESS];
  const port = span.attributes[ATTR_SERVER_PORT];
  const endpoint: ZipkinEndpoint = {};
  const peer = span.attributes[ATTR_PEER_SERVICE];
  if (peer !== undefined) endpoint.serviceName = String(peer);
  else if (address !== undefined) endpoint.serviceName = port === undefined ? String(address) : `${address}:${port}`;
  if (typeof address === 'string') {
    if (IPV4.test(address)) endpoint.ipv4 = address;
    else if (address.includes(':')) endpoint.ipv6 = address;
  }
  if (typeof port === 'number') endpoint.port = port;
  return endpoint;
}

function toMicros([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1e6 + Math.trunc(nanos / 1e3);
}
