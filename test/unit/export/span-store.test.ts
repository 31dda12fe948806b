import { describe, expect, it } from 'vitest';
import { createSpanStore } from '../../../src/export/span-store.js';
import type { ZipkinSpan } from '../../../src/export/zipkin-model.js';
import { normalizeTraceId } from '../../../src/export/zipkin-normalize.js';

let counter = 0;
function span(traceNo: number, fields: Partial<ZipkinSpan> = {}): ZipkinSpan {
  counter += 1;
  return {
    traceId: traceNo.toString(16).padStart(32, 'a'),
    id: counter.toString(16).padStart(16, '1'),
    name: 'GET /x',
    kind: 'SERVER',
    timestamp: 1_700_000_000_000_000 + counter,
    duration: 10,
    localEndpoint: { serviceName: `svc${traceNo}` },
    ...fields,
  };
}

describe('span store', () => {
  it('evicts the oldest trace whole when the trace cap is reached, and forgets its names', () => {
    const store = createSpanStore({ maxTraces: 2 });
    store.add([span(1), span(1, { name: 'only-in-one', remoteEndpoint: { serviceName: 'db' } })]);
    store.add([span(2)]);
    expect(store.serviceNames()).toEqual(['svc1', 'svc2']);
    expect(store.remoteServiceNames('svc1')).toEqual(['db']);
    store.add([span(3)]);
    expect([...store.traces()].map((trace) => trace.traceId)).toEqual([span(2).traceId, span(3).traceId]);
    expect(store.trace(span(1).traceId)).toBeUndefined();
    expect(store.serviceNames()).toEqual(['svc2', 'svc3']);
    expect(store.spanNames('svc1')).toEqual([]);
    expect(store.remoteServiceNames('svc1')).toEqual([]);
    expect(store.stats()).toEqual({ traces: 2, spans: 2, bytes: expect.any(Number), evictedTraces: 1, droppedSpans: 0 });
  });

  it('keeps a name while any stored span still has it', () => {
    const store = createSpanStore({ maxTraces: 2 });
    store.add([span(1, { localEndpoint: { serviceName: 'shared' }, name: 'a' })]);
    store.add([span(2, { localEndpoint: { serviceName: 'shared' }, name: 'a' })]);
    store.add([span(3)]);
    expect(store.spanNames('shared')).toEqual(['a']);
    store.add([span(4)]);
    expect(store.serviceNames()).toEqual(['svc3', 'svc4']);
  });

  it('stays within its span and byte caps under any number of spans', () => {
    const store = createSpanStore({ maxTraces: 1_000, maxSpans: 100, maxBytes: 40_000 });
    for (let trace = 0; trace < 5_000; trace += 1) store.add([span(trace), span(trace), span(trace, { tags: { big: 'x'.repeat(500) } })]);
    const stats = store.stats();
    expect(stats.spans).toBeLessThanOrEqual(100);
    expect(stats.bytes).toBeLessThanOrEqual(40_000);
    expect(stats.traces).toBeGreaterThan(0);
    expect(stats.spans % 3).toBe(0); // whole traces only
  });

  it('drops spans beyond the per-trace cap instead of growing one trace without bound', () => {
    const store = createSpanStore({ maxSpansPerTrace: 3 });
    store.add([span(1), span(1), span(1), span(1), span(1)]);
    expect(store.trace(span(1).traceId)).toHaveLength(3);
    expect(store.stats()).toMatchObject({ spans: 3, droppedSpans: 2 });
  });

  it('stores spans the way Zipkin does: lower-case names, normalized trace ids', () => {
    const store = createSpanStore();
    store.add([
      {
        traceId: '00000000000000000123456789ABCDEF',
        id: '0123456789abcdef',
        name: 'GET /Orders',
        localEndpoint: { serviceName: 'Orders' },
        remoteEndpoint: { serviceName: 'Billing-DB' },
      },
    ]);
    const stored = store.trace('123456789abcdef');
    expect(stored).toEqual([
      {
        traceId: '0123456789abcdef',
        id: '0123456789abcdef',
        name: 'get /orders',
        localEndpoint: { serviceName: 'orders' },
        remoteEndpoint: { serviceName: 'billing-db' },
      },
    ]);
    expect(store.spanNames('orders')).toEqual(['get /orders']);
    expect(store.remoteServiceNames('orders')).toEqual(['billing-db']);
  });

  it('changes its version on every add', () => {
    const store = createSpanStore();
    const before = store.version();
    store.add([]);
    expect(store.version()).toBe(before);
    store.add([span(1)]);
    expect(store.version()).toBe(before + 1);
  });
});

describe('normalizeTraceId', () => {
  it.each([
    ['4e441824ec2b6a44ffdc9bb9a6453df3', '4e441824ec2b6a44ffdc9bb9a6453df3'],
    ['0000000000000000ffdc9bb9a6453df3', 'ffdc9bb9a6453df3'],
    ['ffdc9bb9a6453df3', 'ffdc9bb9a6453df3'],
    ['abc', '0000000000000abc'],
    ['1ffdc9bb9a6453df3', '0000000000000001ffdc9bb9a6453df3'],
    [' FFDC9BB9A6453DF3 ', 'ffdc9bb9a6453df3'],
    ['0000000000000000', undefined],
    ['', undefined],
    ['xyz', undefined],
    ['0x123', undefined],
    ['4e441824ec2b6a44ffdc9bb9a6453df3a', undefined],
  ])('%j → %j', (input, output) => {
    expect(normalizeTraceId(input)).toBe(output);
  });

  it("keeps the proxy's own spans as JSON, parsed and normalized when first read, mixed in arrival order with parsed ones", () => {
    const store = createSpanStore({ maxTraces: 2 });
    const own = span(7, { name: 'GET /Orders', localEndpoint: { serviceName: 'Shop' }, remoteEndpoint: { serviceName: 'Inventory:8080' } });
    store.addEncoded([{ traceId: own.traceId.toUpperCase(), json: JSON.stringify(own), localService: 'Shop', name: 'GET /Orders', remoteService: 'Inventory:8080' }]);
    store.add([span(7, { name: 'posted' })]);
    expect(store.serviceNames()).toEqual(['shop', 'svc7']);
    expect(store.spanNames('shop')).toEqual(['get /orders']);
    expect(store.remoteServiceNames('shop')).toEqual(['inventory:8080']);
    const spans = store.trace(own.traceId)!;
    expect(spans.map((stored) => stored.name)).toEqual(['get /orders', 'posted']);
    expect(spans[0]).toMatchObject({ id: own.id, localEndpoint: { serviceName: 'shop' }, remoteEndpoint: { serviceName: 'inventory:8080' } });

    // Evicted unread: its names go with it, and it was never parsed.
    store.add([span(8)]);
    store.add([span(9)]);
    expect(store.trace(own.traceId)).toBeUndefined();
    expect(store.serviceNames()).toEqual(['svc8', 'svc9']);
  });

  it('evicts in arrival order across many traces, skipping traces that never took a span', () => {
    const store = createSpanStore({ maxTraces: 3, maxSpansPerTrace: 1 });
    for (let trace = 1; trace <= 3_000; trace += 1) {
      store.add([span(trace)]);
      if (trace % 7 === 0) store.add([span(trace), span(trace)]); // over the per-trace cap: dropped
    }
    expect([...store.traces()].map((trace) => trace.traceId)).toEqual([span(2998).traceId, span(2999).traceId, span(3000).traceId]);
    expect(store.stats()).toMatchObject({ traces: 3, spans: 3, evictedTraces: 2_997 });
  });
});

