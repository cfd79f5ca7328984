import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limiter";

describe("createRateLimiter", () => {
  it("allows a burst, refuses beyond it with the wait, and refills over time, per key", () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 100, burst: 200, now: () => now });
    expect(limiter.take("k", 150)).toEqual({ ok: true });
    expect(limiter.take("k", 100)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take("other", 200)).toEqual({ ok: true });
    now = 1000;
    expect(limiter.take("k", 100)).toEqual({ ok: true });
    expect(limiter.take("k", 500)).toEqual({ ok: false, retryAfterSeconds: 5 });
  });
});
