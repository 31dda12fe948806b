/**
 * The built-in store of recent traces, in Zipkin v2 form, that the admin port's query API and viewer read.
 *
 * Bounded three ways (trace count, span count, approximate bytes) and per trace (span count): when a cap is
 * reached the oldest trace is evicted whole, so memory stays flat under any load (SPEC §5). A span that
 * would push a single trace over its own cap is dropped and counted.
 *
 * Spans come from the proxy itself (through a bounded processor, off the request path; from cluster workers
 * over IPC), from `POST /api/v2/spans`, and from any other process that forwards Zipkin spans. The proxy's
 * own spans are kept as the JSON string the Zipkin exporter sends anyway, one string per span instead of an
 * object graph, and parsed when a query first reads their trace: under load most stored traces are evicted
 * unread, and strings cost the garbage collector next to nothing. Spans are stored the way a Zipkin server
 * does (lower-case service and span names, normalized trace ids), and per-service name counts are kept up
 * to date, so the name queries never scan the store.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ItemExporter } from './bounded-processor.js';
import { createNameIndex, type NameIndex, type SpanNames } from './name-index.js';
import { approxSpanBytes, normalizeSpan, normalizeTraceId, storedName } from './zipkin-normalize.js';
import { encodeZipkinSpan, type EncodedZipkinSpan, type ZipkinSpan } from './zipkin-model.js';

export interface SpanStoreOptions {
  readonly maxTraces?: number;
  readonly maxSpans?: number;
  /** Approximate size of every stored span together (strings counted at 2 bytes a character). */
  readonly maxBytes?: number;
  readonly maxSpansPerTrace?: number;
}

export interface StoredTrace {
  readonly traceId: string;
  /** The trace's spans, normalized; spans kept as JSON are parsed on the first read. */
  readonly spans: ZipkinSpan[];
  /** When the store last received a span of this trace (ms since epoch). */
  readonly updatedAt: number;
  readonly bytes: number;
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
  /** Spans of this proxy, kept as their JSON until a query reads them (zipkin-model.ts encodeZipkinSpan). */
  addEncoded(spans: readonly EncodedZipkinSpan[]): void;
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
  tracesPerSecond: 200, // new traces of this proxy taken per second under load, errors always (store-admission.ts)
} as const;

export function createSpanStore(options: SpanStoreOptions = {}): SpanStore {
  const maxTraces = options.maxTraces ?? STORE_DEFAULTS.maxTraces;
  const maxSpans = options.maxSpans ?? STORE_DEFAULTS.maxSpans;
  const maxBytes = options.maxBytes ?? STORE_DEFAULTS.maxBytes;
  // One trace alone must fit the store's caps, or it could hold more than they allow.
  const maxSpansPerTrace = Math.min(options.maxSpansPerTrace ?? STORE_DEFAULTS.maxSpansPerTrace, maxSpans);
  const byId = new Map<string, TraceEntry>();
  // Traces oldest first, for eviction. A Map iterates in insertion order too, but finding its first entry
  // skips every deleted one still in its table: a few µs per eviction once the store is full.
  let order: TraceEntry[] = [];
  let head = 0;
  const names: NameIndex = createNameIndex();
  let spanCount = 0;
  let byteCount = 0;
  let evictedTraces = 0;
  let droppedSpans = 0;
  let version = 0;

  function evictOldest(): void {
    let trace: TraceEntry | undefined;
    while (trace === undefined && head < order.length) {
      const candidate = order[head]!;
      head += 1;
      // A trace whose only span was refused left byId at once; its place in `order` is skipped here.
      if (byId.get(candidate.traceId) === candidate) trace = candidate;
    }
    if (head >= 1024 && head * 2 >= order.length) {
      order = order.slice(head);
      head = 0;
    }
    if (trace === undefined) return;
    for (const span of trace.names) names.remove(span);
    spanCount -= trace.names.length;
    byteCount -= trace.bytes;
    byId.delete(trace.traceId);
    evictedTraces += 1;
  }

  /** The trace a span of `traceId` goes to, when it has room for `bytes` more; undefined when dropped. */
  function traceFor(traceId: string, bytes: number, now: number): TraceEntry | undefined {
    let trace = byId.get(traceId);
    if (trace === undefined) {
      if (byId.size >= maxTraces) evictOldest();
      trace = new TraceEntry(traceId, now);
      byId.set(traceId, trace);
      order.push(trace);
    }
    if (trace.names.length >= maxSpansPerTrace || trace.bytes + bytes > maxBytes) {
      droppedSpans += 1;
      if (trace.names.length === 0) byId.delete(traceId);
      return undefined;
    }
    return trace;
  }

  function counted(trace: TraceEntry, spanNames: SpanNames, bytes: number, now: number): void {
    trace.names.push(spanNames);
    trace.updatedAt = now;
    trace.bytes += bytes;
    spanCount += 1;
    byteCount += bytes;
    names.add(spanNames);
    // Oldest first; the trace just added to always fits the caps on its own (checked in traceFor).
    while ((spanCount > maxSpans || byteCount > maxBytes) && byId.size > 1) evictOldest();
  }

  function addOne(span: ZipkinSpan, now: number): void {
    normalizeSpan(span);
    const bytes = approxSpanBytes(span);
    const trace = traceFor(span.traceId, bytes, now);
    if (trace === undefined) return;
    trace.pushParsed(span);
    counted(trace, { service: span.localEndpoint?.serviceName, name: span.name, remote: span.remoteEndpoint?.serviceName }, bytes, now);
  }

  function addEncodedOne(span: EncodedZipkinSpan, now: number): void {
    const traceId = normalizeTraceId(span.traceId) ?? span.traceId;
    const bytes = ENCODED_OVERHEAD_BYTES + span.json.length * 2;
    const trace = traceFor(traceId, bytes, now);
    if (trace === undefined) return;
    trace.pushEncoded(ownCopy(span.json));
    counted(trace, { service: storedName(span.localService), name: storedName(span.name), remote: storedName(span.remoteService) }, bytes, now);
  }

  return {
    add(spans) {
      if (spans.length === 0) return;
      const now = Date.now();
      for (const span of spans) addOne(span, now);
      version += 1;
    },
    addEncoded(spans) {
      if (spans.length === 0) return;
      const now = Date.now();
      for (const span of spans) addEncodedOne(span, now);
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

/**
 * A copy of `text` that holds nothing but its own characters. Kept as it is, a string from JSON.stringify
 * held on to far more memory than its length: with the store taking ~400 spans/s under load, the old
 * generation grew by ~15 MB/s and peak RSS passed 200 MB; with a copy it grows by well under 1 MB/s. One
 * copy per stored span, which under load is a small sample of all spans.
 */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** A span kept as JSON: the string (2 bytes a character, as approxSpanBytes counts) and its name entry. */
const ENCODED_OVERHEAD_BYTES = 64;

/** One stored trace: spans already parsed, spans still as JSON, and every span's names for the index. */
class TraceEntry implements StoredTrace {
  /** One entry per span, in arrival order, for the name index when the trace is evicted. */
  readonly names: SpanNames[] = [];
  bytes = 0;
  private readonly parsed: ZipkinSpan[] = [];
  private encoded: string[] | undefined;

  constructor(
    readonly traceId: string,
    public updatedAt: number,
  ) {}

  get spans(): ZipkinSpan[] {
    if (this.encoded !== undefined) {
      for (const json of this.encoded) this.parsed.push(normalizeSpan(JSON.parse(json) as ZipkinSpan));
      this.encoded = undefined;
    }
    return this.parsed;
  }

  pushParsed(span: ZipkinSpan): void {
    this.spans.push(span); // after any JSON ones, so spans stay in arrival order
  }

  pushEncoded(json: string): void {
    (this.encoded ??= []).push(json);
  }
}

/**
 * Where the store's share of the proxy's spans goes: encoded when each span ends (only for spans the store
 * takes), then delivered in batches by a bounded processor. A cluster worker's relays them to the primary.
 */
export interface StoreExporter extends ItemExporter<EncodedZipkinSpan> {
  encode(span: ReadableSpan): EncodedZipkinSpan;
}

/** Feeds the proxy's own spans into `store`. */
export function createStoreExporter(store: SpanStore): StoreExporter {
  return {
    encode: (span) => encodeZipkinSpan(span),
    export(spans, done) {
      store.addEncoded(spans);
      done({ code: ExportResultCode.SUCCESS });
    },
    async shutdown(): Promise<void> {},
  };
}
