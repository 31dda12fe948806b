import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/routing/balance.js';
import { createOutlierDetector } from '../../../src/routing/outlier.js';

const CONFIG = { consecutiveFailures: 3, baseEjectionMs: 1_000, maxEjectionMs: 5_000 };

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function failTimes(report: (ok: boolean) => void, times: number): void {
  for (let i = 0; i < times; i += 1) report(false);
}

describe('createOutlierDetector', () => {
  it('ejects a target after consecutiveFailures failures in a row, not before', () => {
    const clock = manualClock();
    const detector = createOutlierDetector(2, CONFIG, clock.now);

    failTimes((ok) => detector.report(0, ok), 2);
    expect(detector.isAvailable(0)).toBe(true);
    detector.report(0, false);

    expect(detector.isAvailable(0)).toBe(false);
    expect(detector.isAvailable(1)).toBe(true);
    expect(detector.ejected()).toEqual([0]);
  });

  it('forgets failures that a success interrupts', () => {
    const detector = createOutlierDetector(1, CONFIG, manualClock().now);

    failTimes((ok) => detector.report(0, ok), 2);
    detector.report(0, true);
    failTimes((ok) => detector.report(0, ok), 2);

    expect(detector.isAvailable(0)).toBe(true);
  });

  it('puts the target back after baseEjectionMs', () => {
    const clock = manualClock();
    const detector = createOutlierDetector(1, CONFIG, clock.now);
    failTimes((ok) => detector.report(0, ok), 3);

    clock.advance(999);
    expect(detector.isAvailable(0)).toBe(false);
    clock.advance(1);
    expect(detector.isAvailable(0)).toBe(true);
    expect(detector.ejected()).toEqual([]);
  });

  it('ejects a target that fails again after coming back at its first failure, for twice as long, up to maxEjectionMs', () => {
    const clock = manualClock();
    const detector = createOutlierDetector(1, CONFIG, clock.now);
    failTimes((ok) => detector.report(0, ok), 3);
    const lengths: number[] = [];

    for (let round = 0; round < 5; round += 1) {
      let out = 0;
      while (!detector.isAvailable(0)) {
        clock.advance(100);
        out += 100;
      }
      lengths.push(out);
      detector.report(0, false); // on probation: one failure is enough
    }

    expect(lengths).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('starts over from baseEjectionMs once a returned target succeeds', () => {
    const clock = manualClock();
    const detector = createOutlierDetector(1, CONFIG, clock.now);
    failTimes((ok) => detector.report(0, ok), 3);
    clock.advance(1_000);
    detector.report(0, false); // second ejection: 2 s
    clock.advance(2_000);
    detector.report(0, true);

    failTimes((ok) => detector.report(0, ok), 2);
    expect(detector.isAvailable(0)).toBe(true); // off probation: needs 3 in a row again
    detector.report(0, false);
    clock.advance(1_000);
    expect(detector.isAvailable(0)).toBe(true);
  });

  it('does not lengthen an ejection with failures of attempts that started before it', () => {
    const clock = manualClock();
    const detector = createOutlierDetector(1, CONFIG, clock.now);
    failTimes((ok) => detector.report(0, ok), 3);

    failTimes((ok) => detector.report(0, ok), 10);
    clock.advance(1_000);

    expect(detector.isAvailable(0)).toBe(true);
  });
});

describe('createBalancer with outlier detection', () => {
  const urls = ['http://a.internal', 'http://b.internal', 'http://c.internal'];
  const hostsOf = (picks: Array<{ hostname: string } | undefined>): Array<string | undefined> => picks.map((pick) => pick?.hostname);

  it('goes round the targets in turn', () => {
    const balancer = createBalancer(urls, undefined, CONFIG, manualClock().now);

    expect(hostsOf(Array.from({ length: 4 }, () => balancer.next()))).toEqual(['a.internal', 'b.internal', 'c.internal', 'a.internal']);
  });

  it('skips an ejected target and takes it back when its time is up', () => {
    const clock = manualClock();
    const balancer = createBalancer(urls, undefined, CONFIG, clock.now);
    failTimes((ok) => balancer.report(balancer.targets[1]!, ok), 3);

    expect(hostsOf(Array.from({ length: 4 }, () => balancer.next()))).toEqual(['a.internal', 'c.internal', 'a.internal', 'c.internal']);
    clock.advance(1_000);
    expect(hostsOf(Array.from({ length: 3 }, () => balancer.next()))).toEqual(['a.internal', 'b.internal', 'c.internal']);
  });

  it('prefers a target other than the one to avoid, and falls back to it when it is the only healthy one', () => {
    const balancer = createBalancer(urls, undefined, CONFIG, manualClock().now);
    const [a, b, c] = balancer.targets;
    failTimes((ok) => balancer.report(c!, ok), 3);

    expect(balancer.next(a)?.hostname).toBe('b.internal');
    failTimes((ok) => balancer.report(b!, ok), 3);
    expect(balancer.next(a)?.hostname).toBe('a.internal');
  });

  it('has no target to give when every one is ejected', () => {
    const balancer = createBalancer(urls, undefined, CONFIG, manualClock().now);
    for (const target of balancer.targets) failTimes((ok) => balancer.report(target, ok), 3);

    expect(balancer.next()).toBeUndefined();
  });

  it('never ejects without outlier detection, and still avoids the last target when it can', () => {
    const balancer = createBalancer(urls);
    for (const target of balancer.targets) failTimes((ok) => balancer.report(target, ok), 10);

    expect(balancer.next()?.hostname).toBe('a.internal');
    expect(balancer.next(balancer.targets[1])?.hostname).toBe('c.internal');
    expect(createBalancer(['http://only.internal']).next(undefined)?.hostname).toBe('only.internal');
  });
});
