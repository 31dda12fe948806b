/**
 * Counters and histograms for the request path, kept as plain numbers in one cell per label set and turned
 * into Prometheus samples only when /metrics is scraped.
 *
 * Why not prom-client's own Counter and Histogram: even through a pre-bound child (`histogram.labels(…)`),
 * each observe validates the labels, builds a label hash string and allocates a wrapper object, about
 * 1 µs per request for the server counter and histogram together. A cell here costs a few nanoseconds.
 * The families below still live in the app's prom-client Registry, which renders them like its own metrics
 * (same escaping, same exposition format), so /metrics has one source.
 */
import type { Metric, Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

export class HistogramCell {
  /** Observations per bucket, not cumulative; the last slot is above the highest bound (`+Inf`). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let slot = 0;
    while (slot < bounds.length && value > bounds[slot]!) slot += 1;
    this.counts[slot]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class CounterCell {
  value = 0;
  constructor(readonly labels: Labels) {}
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** The part of prom-client's metric interface its Registry uses to render and reset a metric. */
interface FamilyMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
  reset(): void;
}

export interface HistogramFamily {
  readonly bounds: readonly number[];
  readonly cells: readonly HistogramCell[];
  cell(labels: Labels): HistogramCell;
}

export interface CounterFamily {
  cell(labels: Labels): CounterCell;
}

/** A histogram whose cells the caller caches; registered in `registry` under `name`. */
export function histogramFamily(registry: Registry, name: string, help: string, bounds: readonly number[]): HistogramFamily {
  const cells: HistogramCell[] = [];
  register(registry, {
    name,
    help,
    type: 'histogram',
    samples() {
      const values: Sample[] = [];
      for (const cell of cells) {
        let cumulative = 0;
        bounds.forEach((bound, index) => {
          cumulative += cell.counts[index]!;
          values.push({ metricName: `${name}_bucket`, labels: { ...cell.labels, le: bound }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...cell.labels, le: '+Inf' }, value: cell.count });
        values.push({ metricName: `${name}_sum`, labels: { ...cell.labels }, value: cell.sum });
        values.push({ metricName: `${name}_count`, labels: { ...cell.labels }, value: cell.count });
      }
      return values;
    },
    reset() {
      for (const cell of cells) {
        cell.counts.fill(0);
        cell.sum = 0;
        cell.count = 0;
      }
    },
  });
  return {
    bounds,
    cells,
    cell(labels) {
      const cell = new HistogramCell(labels, bounds);
      cells.push(cell);
      return cell;
    },
  };
}

/** A counter whose cells the caller caches. */
export function counterFamily(registry: Registry, name: string, help: string): CounterFamily {
  const cells: CounterCell[] = [];
  register(registry, {
    name,
    help,
    type: 'counter',
    samples: () => cells.map((cell) => ({ labels: { ...cell.labels }, value: cell.value })),
    reset() {
      for (const cell of cells) cell.value = 0;
    },
  });
  return {
    cell(labels) {
      const cell = new CounterCell(labels);
      cells.push(cell);
      return cell;
    },
  };
}

/** A counter read from histogram cells: the number of observations of each (a request count beside its durations). */
export function countOfFamily(registry: Registry, name: string, help: string, histogram: HistogramFamily): void {
  register(registry, {
    name,
    help,
    type: 'counter',
    samples: () => histogram.cells.map((cell) => ({ labels: { ...cell.labels }, value: cell.count })),
    reset() {},
  });
}

function register(
  registry: Registry,
  spec: { name: string; help: string; type: FamilyMetric['type']; samples(): Sample[]; reset(): void },
): void {
  const metric: FamilyMetric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator: 'sum',
    get: async () => ({ name: spec.name, help: spec.help, type: spec.type, aggregator: 'sum', values: spec.samples() }),
    reset: spec.reset,
  };
  // prom-client types registerMetric for its own classes only; its Registry needs nothing more than the above.
  registry.registerMetric(metric as unknown as Metric);
}
