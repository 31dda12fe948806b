/**
 * Which of the proxy's own spans the built-in store takes. The store keeps a few thousand recent traces for
 * the viewer; at a few thousand requests a second that is under a second of traffic, and storing every span
 * only to evict it a moment later costs the proxy more CPU and memory than any other part of tracing (every
 * stored span outlives the young generation, and the old generation then fills with evicted ones). So under
 * load the store takes a sample of about `tracesPerSecond` traces a second, plus every error span; below
 * that rate it takes everything. The configured exporters are not affected: they get every sampled span.
 *
 * The sample is by trace id, like OpenTelemetry's TraceIdRatioBased sampler, so a trace's spans are taken or
 * left together with nothing remembered per trace: each span costs one comparison. The ratio is set once a
 * second from the spans offered in the second before, counting a hop's two spans as one trace.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface StoreAdmission {
  admits(span: ReadableSpan): boolean;
  /** Spans left out so far. */
  readonly skipped: number;
  /** Stops the once-a-second update. */
  close(): void;
}

/** Spans a trace of one hop has: its SERVER and CLIENT span. */
const SPANS_PER_TRACE = 2;
const ID_SPACE = 0x1_0000_0000; // the 32 bits of the trace id's last 8 hex digits

export function createStoreAdmission(tracesPerSecond: number, intervalMs = 1_000): StoreAdmission {
  const budget = (tracesPerSecond * SPANS_PER_TRACE * intervalMs) / 1_000;
  let offered = 0;
  let skipped = 0;
  // Below this value of the trace id's last 32 bits a trace is taken; everything while under budget.
  let bound = ID_SPACE;
  const update = setInterval(() => {
    bound = offered <= budget ? ID_SPACE : Math.floor((ID_SPACE * budget) / offered);
    offered = 0;
  }, intervalMs);
  update.unref();

  return {
    admits(span) {
      offered += 1;
      if (bound === ID_SPACE || span.status.code === SpanStatusCode.ERROR) return true;
      const traceId = span.spanContext().traceId;
      if (Number.parseInt(traceId.slice(-8), 16) < bound) return true;
      skipped += 1;
      return false;
    },
    get skipped() {
      return skipped;
    },
    close() {
      clearInterval(update);
    },
  };
}
