/**
 * A token bucket for "at most N new traces per second", the rate-limiting sampler of Jaeger's clients: the
 * bucket holds at most max(N, 1) tokens (one second's worth, so a burst after a quiet spell gets at most that
 * many), starts full, and refills continuously at N per second. One clock read and a few arithmetic operations
 * per call; it is only called for a span that would otherwise be sampled.
 */
export interface RateLimiter {
  /** Takes one token if there is one. */
  tryTake(): boolean;
}

export function createRateLimiter(perSecond: number, now: () => number = () => performance.now()): RateLimiter {
  const capacity = Math.max(1, perSecond);
  const perMs = perSecond / 1_000;
  let tokens = capacity;
  let last = now();
  return {
    tryTake() {
      const at = now();
      tokens = Math.min(capacity, tokens + (at - last) * perMs);
      last = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
