import { describe, expect, it } from 'vitest';
import { matchesQuery, parseAnnotationQuery, parseTraceQuery, traceTimestamp } from '../../../src/admin/trace-query.js';
import { AdminRequestError, HOP_ERR } from '../../../src/errors.js';
import type { ZipkinSpan } from '../../../src/export/zipkin-model.js';

const NOW_MS = 1_700_000_000_000;
const T = NOW_MS * 1000 - 5_000_000; // five seconds before "now", in microseconds

const trace: ZipkinSpan[] = [
  {
    traceId: 'aaaaaaaaaaaaaaaa', id: '0000000000000001', name: 'get /orders', kind: 'SERVER', timestamp: T, duration: 9_000,
    localEndpoint: { serviceName: 'front' }, tags: { 'http.route': '/orders' }, annotations: [{ timestamp: T + 10, value: 'wr' }],
  },
  {
    traceId: 'aaaaaaaaaaaaaaaa', id: '0000000000000002', parentId: '0000000000000001', name: 'select', kind: 'CLIENT', timestamp: T + 100,
    duration: 2_000, localEndpoint: { serviceName: 'front' }, remoteEndpoint: { serviceName: 'db' }, tags: { error: 'timeout' },
  },
  {
    traceId: 'aaaaaaaaaaaaaaaa', id: '0000000000000003', parentId: '0000000000000001', name: 'charge', kind: 'SERVER', timestamp: T + 200,
    duration: 500, localEndpoint: { serviceName: 'billing' },
  },
];

function query(text: string): ReturnType<typeof parseTraceQuery> {
  return parseTraceQuery(new URLSearchParams(text), NOW_MS);
}

describe('trace query', () => {
  it.each<[string, boolean]>([
    ['', true],
    ['serviceName=FRONT', true],
    ['serviceName=nobody', false],
    ['spanName=charge', true],
    ['serviceName=front&spanName=charge', false], // serviceName constrains every other condition
    ['serviceName=billing&spanName=charge', true],
    ['remoteServiceName=db', true],
    ['serviceName=billing&remoteServiceName=db', false],
    ['annotationQuery=error', true], // a tag key
    ['annotationQuery=wr', true], // an annotation value
    ['annotationQuery=error%3Dtimeout', true],
    ['annotationQuery=error%3Dother', false],
    ['annotationQuery=error+and+http.route%3D%2Forders', true],
    ['serviceName=billing&annotationQuery=error', false],
    ['minDuration=9000', true],
    ['minDuration=9001', false],
    ['serviceName=billing&minDuration=600', false],
    ['minDuration=1000&maxDuration=1500', false],
    ['minDuration=400&maxDuration=600', true],
    [`endTs=${NOW_MS}&lookback=10000`, true],
    [`endTs=${NOW_MS}&lookback=4000`, false], // the root began five seconds ago
    [`endTs=${NOW_MS - 6_000}`, false],
  ])('%s → %s', (text, expected) => {
    expect(matchesQuery(query(text), trace)).toBe(expected);
  });

  it('uses the root span for the trace timestamp, else the earliest one', () => {
    expect(traceTimestamp(trace)).toBe(T);
    expect(traceTimestamp(trace.slice(1))).toBe(T + 100);
    expect(traceTimestamp([{ traceId: 'a', id: 'b' }])).toBeUndefined();
  });

  it('has Zipkin defaults: now, one day back, ten traces', () => {
    expect(query('')).toEqual({ annotationQuery: new Map(), endTs: NOW_MS, lookback: 86_400_000, limit: 10 });
    expect(query('spanName=all&serviceName=').spanName).toBeUndefined();
  });

  it('refuses bad parameters with every problem named', () => {
    const error = (() => {
      try {
        query('minDuration=10&maxDuration=5&lookback=0&limit=x');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AdminRequestError);
    expect((error as AdminRequestError).code).toBe(HOP_ERR.ADMIN_BAD_QUERY);
    expect((error as AdminRequestError).issues).toEqual(['limit: must be an integer, got "x"', 'lookback <= 0', 'maxDuration < minDuration']);
  });

  it('parses annotationQuery as Zipkin does', () => {
    expect(parseAnnotationQuery('http.method=GET and error and a=b=c and =x')).toEqual(
      new Map([['http.method', 'GET'], ['error', ''], ['a', 'b=c']]),
    );
  });
});
