import { describe, expect, it } from "vitest";
import { keepRecent, throughputOf, type CountSample } from "./throughput";

const at = (seconds: number, stored: number, processed: number): CountSample => ({
  atMs: seconds * 1000,
  stored,
  processed,
});

describe("the Operations page's throughput", () => {
  it("is the growth of the totals over the samples kept, per second", () => {
    let samples: CountSample[] = [];
    for (const sample of [at(0, 1_000, 400), at(3, 31_000, 20_400), at(6, 61_000, 58_400)])
      samples = keepRecent(samples, sample);
    expect(throughputOf(samples)).toEqual({
      storedPerSecond: 10_000,
      processedPerSecond: 9_666.666666666666,
      seconds: 6,
    });
  });

  it("keeps the last minute only, so a burst an hour ago does not dilute an idle now", () => {
    let samples: CountSample[] = [];
    for (const sample of [at(0, 0, 0), at(30, 900_000, 900_000), at(61, 900_000, 900_000), at(91, 900_000, 900_000)])
      samples = keepRecent(samples, sample);
    expect(samples.map((sample) => sample.atMs / 1000)).toEqual([61, 91]);
    expect(throughputOf(samples)).toMatchObject({ storedPerSecond: 0, processedPerSecond: 0, seconds: 30 });
  });

  it("is not given from a single poll, nor across totals that went down", () => {
    expect(throughputOf([at(0, 10, 10)])).toBeUndefined();
    expect(throughputOf([at(0, 10, 10), at(1, 20, 20)])).toBeUndefined(); // under two seconds apart
    expect(throughputOf([at(0, 500, 500), at(3, 20, 20)])).toBeUndefined();
  });
});
