import { describe, expect, it } from 'vitest';
import { createDependencyLinker, dependencyLinks } from '../../../src/admin/dependency-links.js';
import type { ZipkinSpan } from '../../../src/export/zipkin-model.js';

const TRACE = 'aaaaaaaaaaaaaaaa';

function span(id: string, parentId: string | undefined, kind: ZipkinSpan['kind'], local?: string, remote?: string, extra: Partial<ZipkinSpan> = {}): ZipkinSpan {
  const result: ZipkinSpan = { traceId: TRACE, id: id.padStart(16, '0'), ...extra };
  if (parentId !== undefined) result.parentId = parentId.padStart(16, '0');
  if (kind !== undefined) result.kind = kind;
  if (local !== undefined) result.localEndpoint = { serviceName: local };
  if (remote !== undefined) result.remoteEndpoint = { serviceName: remote };
  return result;
}

const error = { tags: { error: 'boom' } };

describe('dependency links (Zipkin DependencyLinker rules)', () => {
  it.each<[string, ZipkinSpan[], Array<[string, string, number, number]>]>([
    ['a call between two traced services counts once, at the callee', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', 'CLIENT', 'a', 'b'),
      span('3', '2', 'SERVER', 'b'),
    ], [['a', 'b', 1, 0]]],
    ['a CLIENT span without a child names an untraced upstream', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', 'CLIENT', 'a', 'db'),
    ], [['a', 'db', 1, 0]]],
    ['a root SERVER span links its known caller', [span('1', undefined, 'SERVER', 'b', 'mobile')], [['mobile', 'b', 1, 0]]],
    ['a root SERVER span with an unknown caller links nothing', [span('1', undefined, 'SERVER', 'b')], []],
    ['local spans between the server and its callee are skipped over', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', undefined, 'a'),
      span('3', '2', 'SERVER', 'b'),
    ], [['a', 'b', 1, 0]]],
    ['one RPC reported by both sides under one span id (B3 shared) counts once', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', 'CLIENT', 'a'),
      span('2', '1', 'SERVER', 'b', undefined, { shared: true }),
    ], [['a', 'b', 1, 0]]],
    ['the caller\'s error counts for the callee\'s server span', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', 'CLIENT', 'a', 'b', error),
      span('3', '2', 'SERVER', 'b'),
    ], [['a', 'b', 1, 1]]],
    ['messaging: producer to broker, broker to consumer', [
      span('1', undefined, 'PRODUCER', 'a', 'kafka'),
      span('2', '1', 'CONSUMER', 'b', 'kafka'),
    ], [['a', 'kafka', 1, 0], ['kafka', 'b', 1, 0]]],
    ['a span without kind but with both endpoints counts as a client', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', undefined, 'a', 'cache', error),
    ], [['a', 'cache', 1, 1]]],
    ['a client span named after the wrong side backfills the missing hop', [
      span('1', undefined, 'SERVER', 'a'),
      span('2', '1', 'CLIENT', 'b', 'c'),
    ], [['a', 'b', 1, 0], ['b', 'c', 1, 0]]],
  ])('%s', (_name, spans, links) => {
    expect(dependencyLinks([spans])).toEqual(links.map(([parent, child, callCount, errorCount]) => ({ parent, child, callCount, errorCount })));
  });

  it('sums calls over traces and keeps the caller-side latency of each call', () => {
    const linker = createDependencyLinker();
    for (const [duration, failed] of [[100, false], [300, true]] as const) {
      linker.putTrace([
        span('1', undefined, 'SERVER', 'a', undefined, { duration: 1000 }),
        span('2', '1', 'CLIENT', 'a', 'b', { duration, ...(failed ? error : {}) }),
        span('3', '2', 'SERVER', 'b', undefined, { duration: duration - 50 }),
      ]);
    }
    expect(linker.links()).toEqual([{ parent: 'a', child: 'b', callCount: 2, errorCount: 1, durations: [100, 300] }]);
  });

  it('survives a parent cycle in bad input: each server span still names its parent\'s service', () => {
    expect(dependencyLinks([[span('1', '2', 'SERVER', 'a'), span('2', '1', 'SERVER', 'b')]])).toEqual([
      { parent: 'a', child: 'b', callCount: 1, errorCount: 0 },
      { parent: 'b', child: 'a', callCount: 1, errorCount: 0 },
    ]);
  });
});
