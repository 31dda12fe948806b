import { describe, expect, it } from 'vitest';
import { truncateTracestate } from '../../../src/tracing/tracestate-limit.js';

const member = (key: string, length: number): string => `${key}=${'v'.repeat(length - key.length - 1)}`;

describe('truncateTracestate', () => {
  it.each([
    ['a value within the cap, untouched (spaces and all)', 'a=1 , b=2', 30, 'a=1 , b=2'],
    ['members from the end until it fits', 'a=11111,b=22222,c=33333', 20, 'a=11111,b=22222'],
    ['members over 128 characters first, wherever they are', `a=1,${member('big', 129)},b=2`, 20, 'a=1,b=2'],
    ['a 128-character member is not "over 128"', `${member('edge', 128)},${member('x', 200)}`, 200, member('edge', 128)],
    ['empty members and surrounding spaces', ' a=1 ,, b=2 ,', 8, 'a=1,b=2'],
    ['nothing when no member fits', member('big', 129), 100, ''],
  ])('keeps %s', (_what, value, max, expected) => {
    expect(truncateTracestate(value, max)).toBe(expected);
  });

  it('cuts a 16 KiB value to at most the cap', () => {
    const hostile = Array.from({ length: 2000 }, (_, i) => `k${i}=v`).join(',');
    const cut = truncateTracestate(hostile, 512);
    expect(cut.length).toBeLessThanOrEqual(512);
    expect(hostile.startsWith(cut)).toBe(true);
  });
});
