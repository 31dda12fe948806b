/**
 * Stores spans the way a Zipkin server does, so the query API answers what Zipkin would answer for the
 * same input: service names and span names are lower-case (zipkin2 `Endpoint.Builder.serviceName`,
 * `Span.Builder.name`), and a trace id is lower-hex, 16 or 32 characters, with a 128-bit id whose upper
 * half is zero shortened to its lower 64 bits (zipkin2 `Span.normalizeTraceId`).
 */
import type { ZipkinEndpoint, ZipkinSpan } from './zipkin-model.js';

const HEX = /^[0-9a-f]+$/;
const ALL_ZEROS = /^0+$/;

/** Zipkin's trace id normalization; undefined for anything that is not 1–32 hex characters, or all zeros. */
export function normalizeTraceId(raw: string): string | undefined {
  const id = raw.trim().toLowerCase();
  if (id.length === 0 || id.length > 32 || !HEX.test(id) || ALL_ZEROS.test(id)) return undefined;
  if (id.length === 32) return id.startsWith('0000000000000000') ? id.slice(16) : id;
  if (id.length === 16) return id;
  return id.padStart(id.length < 16 ? 16 : 32, '0');
}

/** In place: ids, service names and the span name as Zipkin stores them. */
export function normalizeSpan(span: ZipkinSpan): ZipkinSpan {
  span.traceId = normalizeTraceId(span.traceId) ?? span.traceId;
  if (span.name !== undefined) {
    const name = storedName(span.name);
    if (name === undefined) delete span.name;
    else span.name = name;
  }
  lowerServiceName(span.localEndpoint);
  lowerServiceName(span.remoteEndpoint);
  // zipkin2 Span.Builder.build: a span cannot be its own parent.
  if (span.parentId === span.id) delete span.parentId;
  return span;
}

/** A span or service name as Zipkin stores it: lower-case, and none rather than empty. */
export function storedName(name: string | undefined): string | undefined {
  return name === undefined || name === '' ? undefined : name.toLowerCase();
}

function lowerServiceName(endpoint: ZipkinEndpoint | undefined): void {
  if (endpoint?.serviceName === undefined) return;
  const name = storedName(endpoint.serviceName);
  if (name === undefined) delete endpoint.serviceName;
  else endpoint.serviceName = name;
}

const SPAN_OVERHEAD_BYTES = 320; // the object, its ids, numbers and endpoints

/** What a span costs the store, roughly: fixed overhead plus its strings at 2 bytes a character. */
export function approxSpanBytes(span: ZipkinSpan): number {
  let chars = (span.name?.length ?? 0) + (span.localEndpoint?.serviceName?.length ?? 0) + (span.remoteEndpoint?.serviceName?.length ?? 0);
  const tags = span.tags;
  if (tags !== undefined) for (const key in tags) chars += key.length + (tags[key]?.length ?? 0) + 16;
  const annotations = span.annotations;
  if (annotations !== undefined) for (const annotation of annotations) chars += annotation.value.length + 24;
  return SPAN_OVERHEAD_BYTES + chars * 2;
}
