/**
 * Sampling, composed from the SDK's own samplers (SPEC §2, OTEL_TRACES_SAMPLER):
 *
 * - hoptrace's own decision (a request without one, an untrusted one, or every request when not parent-based)
 *   is `sampleRate`: AlwaysOn at 1, AlwaysOff at 0, TraceIdRatioBased between, optionally behind the
 *   new-traces-per-second cap (a RateLimiter shared by every route of a config);
 * - parent-based (`parentbased_*`, the default): a request that arrives with a decision keeps it;
 *   not parent-based (`always_on`, `always_off`, `traceidratio`): a remote parent's decision is ignored and
 *   the trace id alone counts, as the OpenTelemetry spec defines those samplers. A local parent (the SERVER
 *   span, parent of the CLIENT span) is followed in both cases, so one hop is recorded whole or not at all;
 * - a remote parent marked SAMPLING_DEFERRED_KEY (B3 without a sampling state) came without a decision,
 *   so hoptrace decides, on the incoming trace id;
 * - a request marked SAMPLING_DENIED_KEY (a B3 "deny" without ids) is a decision too: parent-based, its new
 *   trace is not sampled.
 */
import { type Attributes, type Context, type Link, type SpanKind, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { SAMPLING_DEFERRED_KEY, SAMPLING_DENIED_KEY } from './propagation/b3.js';
import type { RateLimiter } from './rate-limiter.js';

export interface SamplerOptions {
  readonly sampleRate: number;
  /** Keep a remote parent's decision (default true). */
  readonly parentBased?: boolean;
  /** Caps the spans hoptrace's own decision samples. */
  readonly limiter?: RateLimiter;
}

const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

export function createSampler(options: SamplerOptions | number): Sampler {
  const { sampleRate, parentBased = true, limiter } = typeof options === 'number' ? { sampleRate: options } : options;
  const ratio = rootSampler(sampleRate);
  const root = limiter === undefined ? ratio : new RateLimitedSampler(ratio, limiter);
  const byParent = parentBased
    ? new ParentBasedSampler({ root })
    : new ParentBasedSampler({ root, remoteParentSampled: root, remoteParentNotSampled: root });
  return parentBased ? new DeferredDecisionSampler(byParent, root) : byParent;
}

function rootSampler(sampleRate: number): Sampler {
  if (sampleRate >= 1) return new AlwaysOnSampler();
  if (sampleRate <= 0) return new AlwaysOffSampler();
  return new TraceIdRatioBasedSampler(sampleRate);
}

/** Turns a "sample" into "drop" when the limiter has no token left; never the other way. */
class RateLimitedSampler implements Sampler {
  constructor(
    private readonly inner: Sampler,
    private readonly limiter: RateLimiter,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const result = this.inner.shouldSample(context, traceId, name, kind, attributes, links);
    if (result.decision !== SamplingDecision.RECORD_AND_SAMPLED || this.limiter.tryTake()) return result;
    return NOT_SAMPLED;
  }

  toString(): string {
    return `RateLimited{${this.inner.toString()}}`;
  }
}

/**
 * A remote parent that deferred its decision gets the root sampler, not "not sampled"; a caller's deny
 * without a parent gets "not sampled".
 */
class DeferredDecisionSampler implements Sampler {
  constructor(
    private readonly parentBased: Sampler,
    private readonly root: Sampler,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined && context.getValue(SAMPLING_DENIED_KEY) === true) return NOT_SAMPLED;
    const deferred = context.getValue(SAMPLING_DEFERRED_KEY) === true && parent?.isRemote === true;
    return (deferred ? this.root : this.parentBased).shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return this.parentBased.toString();
  }
}
