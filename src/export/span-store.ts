/**
 * The built-in store of recent traces, in Zipkin v2 form, that the admin port's query API and viewer read.
 * Bounded by trace count and span count: when either cap is reached the oldest trace is evicted whole, so
 * memory stays flat under any load. Fed by the proxy's own spans (through a bounded processor, off the
 * request path) and by `POST /api/v2/spans`.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { toZipkinSpan, type ZipkinSpan } from './zipkin-model.js';

export interface SpanStoreOptions {
  readonly maxTraces?: number;
  readonly maxSpans?: number;
}

export interface StoredTrace {
  readonly traceId: string;
  readonly spans: ZipkinSpan[];
  /** When the store last received a span of this trace (ms since epoch). */
  updatedAt: number;
}

export interface SpanStore {
  add(spans: readonly ZipkinSpan[]): void;
  trace(traceId: string): readonly ZipkinSpan[] | undefined;
  /** Every stored trace, oldest first. */
  traces(): IterableIterator<StoredTrace>;
  stats(): { traces: number; spans: number; evictedTraces: number };
}

export const STORE_DEFAULTS = {
  maxTraces: 5_000,
  maxSpans: 50_000, // at roughly 1 KB a span, about 50 MB at the very most
} as const;

export function createSpanStore(options: SpanStoreOptions = {}): SpanStore {
  const maxTraces = options.maxTraces ?? STORE_DEFAULTS.maxTraces;
  const maxSpans = options.maxSpans ?? STORE_DEFAULTS.maxSpans;
  // A Map iterates in insertion order, so its first key is always the oldest trace.
  const byId = new Map<string, StoredTrace>();
  let spanCount = 0;
  let evictedTraces = 0;

  function evictOldest(): void {
    const oldest = byId.keys().next();
    if (oldest.done === true) return;
    spanCount -= byId.get(oldest.value)!.spans.length;
    byId.delete(oldest.value);
    evictedTraces += 1;
  }

  return {
    add(spans) {
      const now = Date.now();
      for (const span of spans) {
        const traceId = span.traceId.toLowerCase().padStart(32, '0');
        let trace = byId.get(traceId);
        if (trace === undefined) {
          if (byId.size >= maxTraces) evictOldest();
          trace = { traceId, spans: [], updatedAt: now };
          byId.set(traceId, trace);
        }
        trace.spans.push(span);
        trace.updatedAt = now;
        spanCount += 1;
        while (spanCount > maxSpans && byId.size > 1) evictOldest();
      }
    },
    trace: (traceId) => byId.get(traceId.toLowerCase().padStart(32, '0'))?.spans,
    traces: () => byId.values(),
    stats: () => ({ traces: byId.size, spans: spanCount, evictedTraces }),
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
