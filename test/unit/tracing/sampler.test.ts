import { describe, expect, it } from 'vitest';
import { type Context, ROOT_CONTEXT, SamplingDecision, SpanKind, trace } from '@opentelemetry/api';
import { createSampler, type SamplerOptions } from '../../../src/tracing/sampler.js';
import { createRateLimiter } from '../../../src/tracing/rate-limiter.js';
import { SAMPLING_DEFERRED_KEY } from '../../../src/tracing/propagation/b3.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const remote = (sampled: boolean): Context =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: sampled ? 1 : 0, isRemote: true });
const local = (sampled: boolean): Context =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: sampled ? 1 : 0, isRemote: false });

function decide(options: SamplerOptions, parent: Context): boolean {
  return createSampler(options).shouldSample(parent, TRACE_ID, 'GET /', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
}

describe('sampler settings (OTEL_TRACES_SAMPLER)', () => {
  // [setting, options, [no parent, remote sampled, remote not sampled, local sampled, local not sampled]]
  const table: Array<[string, SamplerOptions, boolean[]]> = [
    ['always_on', { sampleRate: 1, parentBased: false }, [true, true, true, true, false]],
    ['always_off', { sampleRate: 0, parentBased: false }, [false, false, false, true, false]],
    ['traceidratio 0.999', { sampleRate: 0.999, parentBased: false }, [true, true, true, true, false]],
    ['traceidratio 0.001', { sampleRate: 0.001, parentBased: false }, [false, false, false, true, false]],
    ['parentbased_always_on', { sampleRate: 1, parentBased: true }, [true, true, false, true, false]],
    ['parentbased_always_off', { sampleRate: 0, parentBased: true }, [false, true, false, true, false]],
    ['parentbased_traceidratio 0.001', { sampleRate: 0.001, parentBased: true }, [false, true, false, true, false]],
  ];
  it.each(table)('%s decides by its own rule and follows a local parent', (_setting, options, expected) => {
    const parents = [ROOT_CONTEXT, remote(true), remote(false), local(true), local(false)];
    expect(parents.map((parent) => decide(options, parent))).toEqual(expected);
  });

  it('decides itself, on the incoming trace id, for a remote parent that deferred its decision', () => {
    const deferred = remote(false).setValue(SAMPLING_DEFERRED_KEY, true);
    expect(decide({ sampleRate: 1 }, deferred)).toBe(true);
    expect(decide({ sampleRate: 0 }, deferred)).toBe(false);
  });

  it('caps its own decisions with the rate limiter but never a kept remote decision', () => {
    let now = 0;
    const limiter = createRateLimiter(2, () => now);
    const sampler = createSampler({ sampleRate: 1, limiter });
    const sample = (parent: Context): boolean =>
      sampler.shouldSample(parent, TRACE_ID, 'GET /', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
    expect([sample(ROOT_CONTEXT), sample(ROOT_CONTEXT), sample(ROOT_CONTEXT)]).toEqual([true, true, false]);
    expect(sample(remote(true))).toBe(true);
    now = 500;
    expect([sample(ROOT_CONTEXT), sample(ROOT_CONTEXT)]).toEqual([true, false]);
  });
});

describe('rate limiter', () => {
  it('holds one second of tokens, starts full and refills continuously', () => {
    let now = 1_000;
    const limiter = createRateLimiter(10, () => now);
    const take = (count: number): number => Array.from({ length: count }, () => limiter.tryTake()).filter(Boolean).length;
    expect(take(50)).toBe(10);
    now += 250;
    expect(take(50)).toBe(2);
    now += 60_000;
    expect(take(50)).toBe(10);
  });

  it('allows one trace at a time below one per second', () => {
    let now = 0;
    const limiter = createRateLimiter(0.5, () => now);
    expect([limiter.tryTake(), limiter.tryTake()]).toEqual([true, false]);
    now = 1_999;
    expect(limiter.tryTake()).toBe(false);
    now = 2_000;
    expect(limiter.tryTake()).toBe(true);
  });
});
