// Summaries across rounds: the median, and the spread as the min–max of the rounds.
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summary(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** Per-round ratios of a to b (rounds are interleaved, so round i of each was measured side by side). */
export function pairedRatios(a, b) {
  return a.map((value, i) => value / b[i]);
}

export function pairedDifferences(a, b) {
  return a.map((value, i) => value - b[i]);
}

export const fmt = {
  int: (value) => Math.round(value).toLocaleString('en-US'),
  ms: (us) => (us / 1000).toFixed(2),
  ratio: (value) => value.toFixed(2),
  spread: (s, format) => (s.n > 1 ? `${format(s.median)} (${format(s.min)}–${format(s.max)})` : format(s.median)),
};
