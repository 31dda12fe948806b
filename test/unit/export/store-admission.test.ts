import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createStoreAdmission, RECENT_TRACES } from '../../../src/export/store-admission.js';

function span(traceNo: number, error = false): ReadableSpan {
  return {
    spanContext: () => ({ traceId: traceNo.toString(16).padStart(32, '0'), spanId: '1'.repeat(16), traceFlags: 1 }),
    status: { code: error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
  } as unknown as ReadableSpan;
}

describe('store admission', () => {
  it('takes every trace below the rate, and the rest of a taken trace at any rate', () => {
    let now = 0;
    const admission = createStoreAdmission(10, () => now);
    for (let trace = 1; trace <= 10; trace += 1) expect(admission.admits(span(trace))).toBe(true);
    expect(admission.admits(span(11))).toBe(false); // the second's budget is spent
    expect(admission.admits(span(3))).toBe(true); // the SERVER span of a trace already taken
    expect(admission.admits(span(11))).toBe(false); // and a trace left out stays out, even with tokens back
    now += 1_000;
    expect(admission.admits(span(11))).toBe(false);
    expect(admission.admits(span(12))).toBe(true);
    expect(admission.skipped).toBe(3);
  });

  it('always takes a trace with an error span, from that span on', () => {
    const admission = createStoreAdmission(1, () => 0);
    expect(admission.admits(span(1))).toBe(true);
    expect(admission.admits(span(2))).toBe(false);
    expect(admission.admits(span(2, true))).toBe(true);
    expect(admission.admits(span(2))).toBe(true);
    expect(admission.admits(span(3, true))).toBe(true);
  });

  it(`remembers the last ${RECENT_TRACES} decisions, no more`, () => {
    const admission = createStoreAdmission(1, () => 0);
    expect(admission.admits(span(0))).toBe(true);
    for (let trace = 1; trace < RECENT_TRACES; trace += 1) admission.admits(span(trace));
    expect(admission.admits(span(0))).toBe(true); // still remembered as taken
    admission.admits(span(RECENT_TRACES)); // pushes trace 0 out
    expect(admission.admits(span(0))).toBe(false); // a new decision, and the bucket is empty
  });
});
