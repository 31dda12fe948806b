/**
 * The built-in store of recent traces, in Zipkin v2 form, that the admin port's query API and viewer read.
 *
 * Bounded three ways (trace count, span count, approximate bytes) and per trace (span count): when a cap is
 * reached the oldest trace is evicted whole, so memory stays flat under any load (SPEC §5). A span that
 * would push a single trace over its own cap is dropped and counted.
 *
 * `add()` is the single entry point for every source: the proxy's own spans (through a bounded processor,
 * off the request path), `POST /api/v2/spans`, and any other process that forwards Zipkin spans. It stores
 * spans the way a Zipkin server does (lower-case service and span names, normalized trace ids) and keeps
 * per-service name counts up to date, so the name queries never scan the store.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createNameIndex, type NameIndex } from './name-index.js';
import { approxSpanBytes, normalizeSpan, normalizeTraceId } from './zipkin-normalize.js';
import { toZipkinSpan, type ZipkinSpan } from './zipkin-model.js';

export interface SpanStoreOptions {
  readonly maxTraces?: number;
  readonly maxSpans?: number;
  /** Approximate size of every stored span together (strings counted at 2 bytes a character). */
  readonly maxBytes?: number;
  readonly maxSpansPerTrace?: number;
}

export interface StoredTrace {
  readonly traceId: string;
  readonly spans: ZipkinSpan[];
  /** When the store last received a span of this trace (ms since epoch). */
  updatedAt: number;
  bytes: number;
}

export interface SpanStoreStats {
  readonly traces: number;
  readonly spans: number;
  readonly bytes: number;
  readonly evictedTraces: number;
  /** Spans refused because their trace alone was already at maxSpansPerTrace or maxBytes. */
  readonly droppedSpans: number;
}

export interface SpanStore {
  /** Takes ownership of `spans` (they are normalized in place). Spans must already be valid Zipkin v2. */
  add(spans: readonly ZipkinSpan[]): void;
  trace(traceId: string): readonly ZipkinSpan[] | undefined;
  /** Every stored trace, oldest first. */
  traces(): IterableIterator<StoredTrace>;
  /** Local service names, sorted. */
  serviceNames(): string[];
  /** Span names recorded by `service`, sorted. */
  spanNames(service: string): string[];
  /** Remote service names that `service` recorded, sorted. */
  remoteServiceNames(service: string): string[];
  /** Changes whenever the content changes; readers may cache on it. */
  version(): number;
  stats(): SpanStoreStats;
}

export const STORE_DEFAULTS = {
  maxTraces: 5_000,
  maxSpans: 50_000, // a proxy span is about 1 KB: ~50 MB at the very most, usually far less
  maxBytes: 64 * 1024 * 1024, // the same bound for spans POSTed by others, which may be larger
  maxSpansPerTrace: 2_000, // a runaway trace cannot push every other trace out
} as const;

export function createSpanStore(options: SpanStoreOptions = {}): SpanStore {
  const maxTraces = options.maxTraces ?? STORE_DEFAULTS.maxTraces;
  const maxSpans = options.maxSpans ?? STORE_DEFAULTS.maxSpans;
  const maxBytes = options.maxBytes ?? STORE_DEFAULTS.maxBytes;
  // One trace alone must fit the store's caps, or it could hold more than they allow.
  const maxSpansPerTrace = Math.min(options.maxSpansPerTrace ?? STORE_DEFAULTS.maxSpansPerTrace, maxSpans);
  // A Map iterates in insertion order, so its first key is always the oldest trace.
  const byId = new Map<string, StoredTrace>();
  const names: NameIndex = createNameIndex();
  let spanCount = 0;
  let byteCount = 0;
  let evictedTraces = 0;
  let droppedSpans = 0;
  let version = 0;

  function evictOldest(): void {
    const oldest = byId.values().next();
    if (oldest.done === true) return;
    const trace = oldest.value;
    for (const span of trace.spans) names.remove(span);
    spanCount -= trace.spans.length;
    byteCount -= trace.bytes;
    byId.delete(trace.traceId);
    evictedTraces += 1;
  }

  function addOne(span: ZipkinSpan, now: number): void {
    normalizeSpan(span);
    let trace = byId.get(span.traceId);
    if (trace === undefined) {
      if (byId.size >= maxTraces) evictOldest();
      trace = { traceId: span.traceId, spans: [], updatedAt: now, bytes: 0 };
      byId.set(span.traceId, trace);
    }
    const bytes = approxSpanBytes(span);
    if (trace.spans.length >= maxSpansPerTrace || trace.bytes + bytes > maxBytes) {
      droppedSpans += 1;
      if (trace.spans.length === 0) byId.delete(trace.traceId);
      return;
    }
    trace.spans.push(span);
    trace.updatedAt = now;
    trace.bytes += bytes;
    spanCount += 1;
    byteCount += bytes;
    names.add(span);
    // Oldest first; the trace just added to always fits the caps on its own (checked above).
    while ((spanCount > maxSpans || byteCount > maxBytes) && byId.size > 1) evictOldest();
  }

  return {
    add(spans) {
      if (spans.length === 0) return;
      const now = Date.now();
      for (const span of spans) addOne(span, now);
      version += 1;
    },
    trace(traceId) {
      const id = normalizeTraceId(traceId);
      return id === undefined ? undefined : byId.get(id)?.spans;
    },
    traces: () => byId.values(),
    serviceNames: () => names.services(),
    spanNames: (service) => names.spanNames(service),
    remoteServiceNames: (service) => names.remoteServiceNames(service),
    version: () => version,
    stats: () => ({ traces: byId.size, spans: spanCount, bytes: byteCount, evictedTraces, droppedSpans }),
  };
}

/** Feeds the proxy's own spans into a store; runs in a bounded processor like any exporter. */
export function createStoreExporter(store: SpanStore): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      store.add(spans.map(toZipkinSpan));
      done({ code: ExportResultCode.SUCCESS });
    },
    async shutdown(): Promise<void> {},
  };
}
