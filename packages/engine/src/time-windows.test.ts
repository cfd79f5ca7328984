import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instantMs } from "./time-windows";

describe("instantMs", () => {
  it("agrees with Date.parse on every RFC 3339 UTC instant, with and without milliseconds", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.boolean(),
        (date, millis) => {
          const text = millis ? date.toISOString() : date.toISOString().replace(/\.\d{3}Z$/, "Z");
          expect(instantMs(text)).toBe(Date.parse(text));
        },
      ),
      { seed: Number(process.env.FC_SEED ?? 20261124), numRuns: 2000 },
    );
  });

  it("agrees with Date.parse on near misses and other forms", () => {
    for (const text of [
      "2026-02-30T10:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-11-03T24:00:00Z",
      "2026-11-03T10:00:00+01:00",
      "2026-11-03T10:00:00.5Z",
      "2026-11-0xT10:00:00Z",
      "2026-11-03 10:00:00Z",
      "0099-01-05T00:00:00Z",
      "not a time",
    ]) {
      expect(Number.isNaN(instantMs(text)) ? "NaN" : instantMs(text)).toBe(
        Number.isNaN(Date.parse(text)) ? "NaN" : Date.parse(text),
      );
    }
  });
});
