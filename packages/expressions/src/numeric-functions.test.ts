import fc from "fast-check";
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compile } from "./compile-expression";

describe("$round", () => {
  it("rounds half to even at a precision exactly as the reference's decimal shift does", async () => {
    const values = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      // Values that sit on a half at the rounded place, where binary scaling alone would drift.
      fc
        .tuple(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 1, max: 4 }))
        .map(([units, places]) => (units + 0.5) / 10 ** places),
    );
    await fc.assert(
      fc.asyncProperty(values, fc.integer({ min: -3, max: 12 }), async (value, precision) => {
        const source = `$round(value, ${precision})`;
        const expected = await jsonata(source).evaluate({ value });
        expect(compile(source).evaluate({ value }), `${value} at ${precision}`).toBe(expected);
      }),
      { numRuns: 3000, seed: 20261205 },
    );
  });
});
