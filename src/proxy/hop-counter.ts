/**
 * Counts the hops running on one runtime (one config). A reload replaces the runtime; the replaced one's
 * exporters must stay up until its last hop has ended its spans, and this says when that is.
 */
export interface HopCounter {
  /** Hops started and not ended. */
  readonly active: number;
  enter(): void;
  leave(): void;
  /** Resolves once no hop is running (at once when none is). */
  idle(): Promise<void>;
}

export function createHopCounter(): HopCounter {
  let active = 0;
  let waiters: Array<() => void> = [];
  return {
    get active() {
      return active;
    },
    enter() {
      active += 1;
    },
    leave() {
      active -= 1;
      if (active === 0 && waiters.length > 0) {
        const done = waiters;
        waiters = [];
        for (const resolve of done) resolve();
      }
    },
    idle() {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
