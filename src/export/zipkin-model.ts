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

/**
 * A span as Zipkin v2 JSON, with the names the store indexes it by (as recorded, not yet lower-cased).
 * Made once per span however many exporters ask: the Zipkin exporter sends `json` as it is, and the store
 * keeps it as one string, parsed only when a query reads the trace.
 */
export interface EncodedZipkinSpan {
  readonly traceId: string;
  readonly json: string;
  readonly localService: string | undefined;
  readonly name: string | undefined;
  readonly remoteService: string | undefined;
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
  // A spread copies the attributes in one step (the same shape every time for a hop's spans); only the
  // few values that are not strings are then rewritten. Half the time of copying key by key.
  const tags = { ...span.attributes } as Record<string, string>;
  for (const key in tags) {
    const value: unknown = tags[key];
    if (typeof value !== 'string') tags[key] = String(value);
  }
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

const ENCODED = Symbol('hoptrace.encodedZipkinSpan');
type EncodedOnce = ReadableSpan & { [ENCODED]?: EncodedZipkinSpan };

/**
 * The span's Zipkin JSON, converted on the first call and kept on the span (an ended span never changes).
 * `extraTags` gives a one-off encoding with more tags, which is not kept.
 *
 * JSON.stringify of the object is ~2 µs of a proxy span's export. Writing the text directly (string pieces,
 * each value checked for characters to escape, the result flattened so the queue does not keep its pieces)
 * was measured twice and came out no faster (within ±10%): V8's serializer writes into one buffer, and
 * concatenating ~40 pieces costs as much.
 */
export function encodeZipkinSpan(span: ReadableSpan, extraTags?: Record<string, string>): EncodedZipkinSpan {
  if (extraTags === undefined) {
    const kept = (span as EncodedOnce)[ENCODED];
    if (kept !== undefined) return kept;
  }
  const zipkin = toZipkinSpan(span);
  if (extraTags !== undefined) zipkin.tags = { ...zipkin.tags, ...extraTags };
  const encoded: EncodedZipkinSpan = {
    traceId: zipkin.traceId,
    json: JSON.stringify(zipkin),
    localService: zipkin.localEndpoint?.serviceName,
    name: zipkin.name,
    remoteService: zipkin.remoteEndpoint?.serviceName,
  };
  if (extraTags === undefined) (span as EncodedOnce)[ENCODED] = encoded;
  return encoded;
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
