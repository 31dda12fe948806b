import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countOfFamily, counterFamily, histogramFamily } from '../../../src/metrics/cells.js';

describe('metric cells', () => {
  it('puts an observation in the first bucket whose bound it does not exceed (le is inclusive)', () => {
    const registry = new Registry();
    const family = histogramFamily(registry, 'test_seconds', 'help', [0.1, 1]);
    const cell = family.cell({ route: 'r' });
    for (const value of [0.05, 0.1, 0.2, 1, 1.5, 30]) cell.observe(value);
    expect([...cell.counts]).toEqual([2, 2, 2]);
    expect(cell.count).toBe(6);
    expect(cell.sum).toBeCloseTo(32.85);
  });

  it('renders histograms and counters through the prom-client Registry in the Prometheus text format', async () => {
    const registry = new Registry();
    const durations = histogramFamily(registry, 'test_seconds', 'Durations.', [0.1, 1]);
    countOfFamily(registry, 'test_total', 'Requests.', durations);
    const errors = counterFamily(registry, 'test_errors_total', 'Errors.');
    const cell = durations.cell({ route: 'a "quoted" \\ route', method: 'GET' });
    cell.observe(0.05);
    cell.observe(0.5);
    errors.cell({ kind: 'timeout' }).value += 2;

    expect(await registry.metrics()).toBe(
      [
        '# HELP test_seconds Durations.',
        '# TYPE test_seconds histogram',
        'test_seconds_bucket{route="a \\"quoted\\" \\\\ route",method="GET",le="0.1"} 1',
        'test_seconds_bucket{route="a \\"quoted\\" \\\\ route",method="GET",le="1"} 2',
        'test_seconds_bucket{route="a \\"quoted\\" \\\\ route",method="GET",le="+Inf"} 2',
        'test_seconds_sum{route="a \\"quoted\\" \\\\ route",method="GET"} 0.55',
        'test_seconds_count{route="a \\"quoted\\" \\\\ route",method="GET"} 2',
        '',
        '# HELP test_total Requests.',
        '# TYPE test_total counter',
        'test_total{route="a \\"quoted\\" \\\\ route",method="GET"} 2',
        '',
        '# HELP test_errors_total Errors.',
        '# TYPE test_errors_total counter',
        'test_errors_total{kind="timeout"} 2',
        '',
      ].join('\n'),
    );
  });

  it('resets with the registry', async () => {
    const registry = new Registry();
    const durations = histogramFamily(registry, 'test_seconds', 'Durations.', [1]);
    const errors = counterFamily(registry, 'test_errors_total', 'Errors.');
    durations.cell({}).observe(0.5);
    errors.cell({}).value += 1;
    registry.resetMetrics();
    const json = await registry.getMetricsAsJSON();
    expect(json.flatMap((metric) => metric.values.map((sample) => sample.value))).toEqual([0, 0, 0, 0, 0]);
  });
});
