/**
 * Passive outlier detection for a route's targets: nothing is probed, the outcome of real attempts decides.
 *
 * - A target that fails `consecutiveFailures` attempts in a row is ejected for `baseEjectionMs`.
 * - When its time is up it comes back on probation: its next attempt decides. A success clears its record;
 *   a failure ejects it again at once, for twice as long as the last time (up to `maxEjectionMs`), so a
 *   target that is down for good costs one request per ejection instead of `consecutiveFailures`.
 *
 * Envoy's outlier detection is the model (consecutive_5xx, base_ejection_time, max_ejection_time), without
 * its max_ejection_percent: SPEC-wise a route whose targets are all out answers 503 rather than sending
 * traffic to targets known to fail. The clock is injected so tests can move time without waiting.
 */
import type { OutlierConfig } from '../config/types.js';

export interface OutlierDetector {
  /** Whether target `index` may take a request now. */
  isAvailable(index: number): boolean;
  /** Records the outcome of one attempt on target `index`. */
  report(index: number, ok: boolean): void;
  /** Indexes of the targets ejected right now, for logs and tests. */
  ejected(): number[];
}

interface TargetHealth {
  consecutiveFailures: number;
  /** Ejections since the target last succeeded; each one doubles the next ejection's length. */
  ejections: number;
  /** Epoch ms until which the target is out; 0 when it is in. */
  ejectedUntil: number;
  /** Back from an ejection and not yet succeeded: one failure ejects it again. */
  onProbation: boolean;
}

export function createOutlierDetector(targetCount: number, config: OutlierConfig, now: () => number = Date.now): OutlierDetector {
  const health: TargetHealth[] = Array.from({ length: targetCount }, () => ({
    consecutiveFailures: 0,
    ejections: 0,
    ejectedUntil: 0,
    onProbation: false,
  }));

  function eject(target: TargetHealth): void {
    const length = Math.min(config.baseEjectionMs * 2 ** target.ejections, config.maxEjectionMs);
    target.ejections += 1;
    target.ejectedUntil = now() + length;
    target.consecutiveFailures = 0;
    target.onProbation = true;
  }

  return {
    isAvailable(index) {
      const target = health[index]!;
      return target.ejectedUntil === 0 || target.ejectedUntil <= now();
    },
    report(index, ok) {
      const target = health[index]!;
      if (ok) {
        target.consecutiveFailures = 0;
        target.ejections = 0;
        target.ejectedUntil = 0;
        target.onProbation = false;
        return;
      }
      // An attempt that started before the ejection may fail after it; it must not extend it.
      if (target.ejectedUntil > now()) return;
      target.consecutiveFailures += 1;
      if (target.onProbation || target.consecutiveFailures >= config.consecutiveFailures) eject(target);
    },
    ejected() {
      const at = now();
      const out: number[] = [];
      health.forEach((target, index) => {
        if (target.ejectedUntil > at) out.push(index);
      });
      return out;
    },
  };
}
