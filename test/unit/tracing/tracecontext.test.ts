import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createTraceContextPropagator, formatTraceParent } from '../../../src/tracing/propagation/tracecontext.js';
import { headersGetter } from '../../../src/tracing/propagation.js';
import { createSampler } from '../../../src/tracing/sampler.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const propagator = createTraceContextPropagator();
const tracer = new BasicTracerProvider({ sampler: createSampler({ sampleRate: 1 }) }).getTracer('test');

function extract(headers: Record<string, string | string[]>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headersGetter);
}

function inject(context: Context): Record<string, string> {
  const out: Record<string, string> = {};
  propagator.inject(context, out, { set: (carrier, key, value) => void (carrier[key] = value) });
  return out;
}

/** What the proxy sends on for a request carrying `headers`: a child span of what was extracted. */
function forward(headers: Record<string, string | string[]>): Record<string, string> {
  const parent = extract(headers);
  return inject(trace.setSpan(parent, tracer.startSpan('hop', {}, parent)));
}

describe('traceparent', () => {
  const valid: Array<[string, string, number]> = [
    ['the spec example, sampled', `00-${TRACE_ID}-${PARENT_ID}-01`, 1],
    ['the spec example, not sampled', `00-${TRACE_ID}-${PARENT_ID}-00`, 0],
    ['a higher version with more fields', `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds`, 1],
    ['unknown flags, masked to the known ones', `00-${TRACE_ID}-${PARENT_ID}-ff`, 3],
  ];
  it.each(valid)('continues %s', (_what, header, flags) => {
    const spanContext = trace.getSpanContext(extract({ traceparent: header }));
    expect(spanContext).toEqual({ traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: flags, isRemote: true, traceState: undefined });
  });

  const invalid: Array<[string, string]> = [
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['version 00 with an extra field', `00-${TRACE_ID}-${PARENT_ID}-01-extra`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['a wrong delimiter', `00_${TRACE_ID}_${PARENT_ID}_01`],
    ['two headers joined by Node', `00-${TRACE_ID}-${PARENT_ID}-01, 00-${TRACE_ID}-${PARENT_ID}-01`],
  ];
  it.each(invalid)('starts over on %s, discarding tracestate too', (_what, header) => {
    const context = extract({ traceparent: header, tracestate: 'congo=t61rcWkgMzE' });
    expect(context).toBe(ROOT_CONTEXT);
  });

  it('reads tracestate beside a valid traceparent, by the Level 2 rules', () => {
    const state = trace.getSpanContext(extract({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' }))?.traceState;
    expect(state?.serialize()).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    const invalid = trace.getSpanContext(extract({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'rojo=1,Congo=2' }));
    expect(invalid?.traceState).toBeUndefined();
  });
});

describe('trace flags on what is propagated', () => {
  // [incoming trace-flags, outgoing trace-flags]: sampled kept (parent-based), random (0x02) kept as it came,
  // every other bit set to zero.
  const table: Array<[string, string]> = [
    ['00', '00'],
    ['01', '01'],
    ['02', '02'],
    ['03', '03'],
    ['09', '01'],
    ['0a', '02'],
    ['fe', '02'],
    ['ff', '03'],
  ];
  it.each(table)('incoming %s goes on as %s with a new parent id', (incoming, outgoing) => {
    const out = forward({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-${incoming}`, tracestate: 'congo=t61rcWkgMzE' });
    const [version, traceId, parentId, flags] = out.traceparent!.split('-');
    expect([version, traceId, flags]).toEqual(['00', TRACE_ID, outgoing]);
    expect(parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(parentId).not.toBe(PARENT_ID);
    expect(out.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('sets the random flag on a trace hoptrace starts', () => {
    const out = forward({});
    expect(out.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    expect(out.tracestate).toBeUndefined();
  });

  it('writes the version 00 form for a higher incoming version', () => {
    const out = forward({ traceparent: `cc-${TRACE_ID}-${PARENT_ID}-03-what-the-future-holds` });
    expect(out.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-03$`));
  });

  it('formats the traceresponse of a span the same way', () => {
    const parent = extract({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` });
    const span = tracer.startSpan('server', {}, parent);
    expect(formatTraceParent(trace.setSpan(parent, span))).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-00`);
    expect(formatTraceParent(ROOT_CONTEXT)).toBeUndefined();
  });
});
