import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFlow } from "./compile-flow";
import type { CloudEvent } from "./engine-types";
import { memoryContext } from "./memory-context";
import { apiCall, billingReference, meteredApiBillingTemplate } from "./testing-fixtures";

const plan = compileFlow(meteredApiBillingTemplate());

/** Streams with repeats, shuffles, unknown tenants, malformed events and out-of-order times. */
const event: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom("t-1", "t-2", "t-9"),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 90 * 24 }),
      )
      .map(([id, tenant, calls, hours]) =>
        apiCall(`e${id}`, tenant, calls, new Date(Date.UTC(2026, 9, 1) + hours * 3_600_000).toISOString()),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 40 }).map((id) => ({
      ...apiCall(`bad${id}`, "t-1", 1, "2026-11-01T00:00:00Z"),
      data: { tenantId: "t-1", calls: -1 },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constant(null),
      fc.constant("text"),
      fc.record({ id: fc.string(), type: fc.string() }),
      fc.constant({ specversion: "0.3", id: "x", source: "/s", type: "t" }),
    ),
  },
);
const stream = fc.array(event, { maxLength: 60 });

describe("engine properties", () => {
  it("conservation: every input event ends exactly once as validated, duplicate or exception", () => {
    fc.assert(
      fc.property(stream, (events) => {
        const effects = plan.run(events, memoryContext(billingReference));
        expect(effects.outcomes).toHaveLength(events.length);
        const keys = effects.outcomes.map((entry) => entry.event);
        expect(new Set(keys).size).toBe(keys.length);
        for (const { event: key, outcome } of effects.outcomes) {
          const asException = effects.exceptions.some((exception) => exception.events.includes(key));
          const asDuplicate = effects.duplicates.some((duplicate) => duplicate.events.includes(key));
          expect(outcome).toBe(asException ? "exception" : asDuplicate ? "duplicate" : "validated");
          if (outcome === "validated")
            expect(effects.windowUpdates.some((window) => window.added.includes(key))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("determinism: the same batch on the same state gives byte-identical effects", () => {
    fc.assert(
      fc.property(stream, (events) => {
        const first = plan.run(events, memoryContext(billingReference), { trace: true });
        const second = plan.run(structuredClone(events), memoryContext(billingReference), { trace: true });
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      }),
      { numRuns: 100 },
    );
  });

  it("one batch or many: the same final windows, summaries and idempotency keys", () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 20 }),
        (events, cuts) => {
          const whole = memoryContext(billingReference);
          plan.run(events, whole);
          const split = memoryContext(billingReference);
          let at = 0;
          for (let i = 0; at < events.length; i += 1) {
            const size = cuts[i % cuts.length]!;
            plan.run(events.slice(at, at + size), split);
            at += size;
          }
          expect(split.snapshot()).toEqual(whole.snapshot());
          const closeAll = (context: ReturnType<typeof memoryContext>) => plan.closeWindows(context, { all: true });
          const [a, b] = [closeAll(whole), closeAll(split)];
          expect(b.postings.map((p) => p.idempotencyKey)).toEqual(a.postings.map((p) => p.idempotencyKey));
          expect(b.summaries).toEqual(a.summaries);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("replaying the same stream into a fresh state yields the same idempotency keys (retries never double)", () => {
    const events: CloudEvent[] = [apiCall("e1", "t-2", 300_000, "2026-11-02T10:00:00Z")];
    const keysOf = () => {
      const context = memoryContext(billingReference);
      plan.run(events, context);
      return plan.closeWindows(context, { all: true }).postings.map((p) => p.idempotencyKey);
    };
    expect(keysOf()).toEqual(keysOf());
    expect(keysOf()).toHaveLength(1);
  });
});
