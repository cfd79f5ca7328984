/**
 * A token bucket per key: `perSecond` tokens refill continuously up to `burst`. Taking more than
 * is available is refused with the seconds to wait, for a 429 with Retry-After.
 */
export function createRateLimiter(options: { perSecond: number; burst: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key: string, count: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const time = now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: time };
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((time - bucket.at) / 1000) * options.perSecond);
      bucket.at = time;
      buckets.set(key, bucket);
      if (count > options.burst) return { ok: false, retryAfterSeconds: Math.ceil(count / options.perSecond) };
      if (bucket.tokens >= count) {
        bucket.tokens -= count;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((count - bucket.tokens) / options.perSecond)) };
    },
  };
}
