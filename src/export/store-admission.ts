/**
 * Which of the proxy's own traces the built-in store takes. The store keeps a few thousand recent traces for
 * the viewer; at a few thousand requests a second that is under a second of traffic, and storing every span
 * only to evict it a moment later costs the proxy more CPU and memory than any other part of tracing (every
 * stored span outlives the young generation, and the old generation then fills with evicted ones). So under
 * load the store takes a sample: new traces up to `perSecond` (a token bucket, as Jaeger's rate-limiting
 * sampler), every trace with an error span, and every further span of a trace it took. Below that rate it
 * takes everything, as before. The configured exporters are not affected: they get every sampled span.
 *
 * The decision is made once per trace, on its first ended span (a hop's CLIENT span ends before its SERVER
 * span), and remembered for the most recent `RECENT_TRACES` traces, long enough for the rest of a request's
 * spans to follow.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createRateLimiter } from '../tracing/rate-limiter.js';

export interface StoreAdmission {
  admits(span: ReadableSpan): boolean;
  /** Spans left out so far (their trace was not taken). */
  readonly skipped: number;
}

export const RECENT_TRACES = 4_096;

export function createStoreAdmission(perSecond: number, now?: () => number): StoreAdmission {
  const limiter = createRateLimiter(perSecond, now);
  const decided = new Map<string, boolean>();
  const order: string[] = new Array<string>(RECENT_TRACES).fill('');
  let next = 0;
  let skipped = 0;

  function remember(traceId: string, taken: boolean): void {
    const oldest = order[next]!;
    if (oldest !== '') decided.delete(oldest);
    order[next] = traceId;
    next = next + 1 === RECENT_TRACES ? 0 : next + 1;
    decided.set(traceId, taken);
  }

  return {
    admits(span) {
      const traceId = span.spanContext().traceId;
      const decision = decided.get(traceId);
      const isError = span.status.code === SpanStatusCode.ERROR;
      if (decision === true) return true;
      if (decision === false && !isError) {
        skipped += 1;
        return false;
      }
      const taken = isError || limiter.tryTake();
      if (decision === undefined) remember(traceId, taken);
      else if (taken) decided.set(traceId, true);
      if (!taken) skipped += 1;
      return taken;
    },
    get skipped() {
      return skipped;
    },
  };
}
