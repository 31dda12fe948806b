import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStoreAdmission, type StoreAdmission } from '../../../src/export/store-admission.js';

function span(trace: number, error = false): ReadableSpan {
  // Trace ids spread evenly over the last 32 bits, as random ids are.
  const low = Math.floor((trace * 0x9e3779b1) % 0x1_0000_0000);
  return {
    spanContext: () => ({ traceId: `${'ab'.repeat(12)}${low.toString(16).padStart(8, '0')}`, spanId: '1'.repeat(16), traceFlags: 1 }),
    status: { code: error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
  } as unknown as ReadableSpan;
}

/** Offers a hop's two spans for each of `traces` traces; returns the traces whose spans were taken. */
function offer(admission: StoreAdmission, from: number, traces: number): { whole: number; split: number } {
  let whole = 0;
  let split = 0;
  for (let trace = from; trace < from + traces; trace += 1) {
    const client = admission.admits(span(trace));
    const server = admission.admits(span(trace));
    if (client && server) whole += 1;
    else if (client !== server) split += 1;
  }
  return { whole, split };
}

describe('store admission', () => {
  let admission: StoreAdmission;
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    admission.close();
    vi.useRealTimers();
  });

  it('takes every span while the traffic stays under the rate', () => {
    admission = createStoreAdmission(100);
    expect(offer(admission, 0, 500)).toEqual({ whole: 500, split: 0 }); // the first second: no measure yet
    vi.advanceTimersByTime(1_000);
    const sampled = offer(admission, 500, 90); // a sample, after a second of 500
    expect(sampled.whole).toBeLessThan(90);
    vi.advanceTimersByTime(1_000);
    expect(offer(admission, 590, 90)).toEqual({ whole: 90, split: 0 }); // after a second of 90: all
    vi.advanceTimersByTime(1_000);
    expect(offer(admission, 680, 90)).toEqual({ whole: 90, split: 0 });
    expect(admission.skipped).toBe(2 * (90 - sampled.whole));
  });

  it("takes about the rate's worth of whole traces a second under load, and every error span", () => {
    admission = createStoreAdmission(100);
    offer(admission, 0, 2_000);
    vi.advanceTimersByTime(1_000); // 2,000 traces a second were offered: 1 in 20 is taken from now on
    const taken = offer(admission, 2_000, 2_000);
    expect(taken.split).toBe(0); // a trace's spans go together
    expect(taken.whole).toBeGreaterThan(70);
    expect(taken.whole).toBeLessThan(130);
    expect(admission.skipped).toBe(2 * (2_000 - taken.whole));
    const failed = Array.from({ length: 50 }, (_, index) => admission.admits(span(10_000 + index, true)));
    expect(failed.every(Boolean)).toBe(true);
  });
});
