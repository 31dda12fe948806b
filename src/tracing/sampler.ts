/**
 * Parent-based sampling (SPEC §2): a request that arrives with a sampling decision keeps it; one that
 * arrives without gets `sampleRate`. Composed from the SDK's own samplers.
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';

export function createSampler(sampleRate: number): Sampler {
  return new ParentBasedSampler({ root: rootSampler(sampleRate) });
}

function rootSampler(sampleRate: number): Sampler {
  if (sampleRate >= 1) return new AlwaysOnSampler();
  if (sampleRate <= 0) return new AlwaysOffSampler();
  return new TraceIdRatioBasedSampler(sampleRate);
}
