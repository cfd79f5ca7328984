import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, contentHash } from "./canonical-json";
import { exampleFlow } from "./testing/example-flow";

/** The same JSON value with every object's keys in a shuffled order. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => reorderKeys(item, seed + i));
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    const shuffled = entries
      .map((entry, i) => ({ entry, rank: Math.sin(seed * 9301 + i * 49297) }))
      .sort((a, b) => a.rank - b.rank)
      .map(({ entry }) => entry);
    const result: Record<string, unknown> = {};
    for (const [key, member] of shuffled)
      Object.defineProperty(result, key, {
        value: reorderKeys(member, seed + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return result;
  }
  return value;
}

describe("canonicalJson and contentHash", () => {
  it("are stable under key reordering (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        const reordered = reorderKeys(value, seed);
        expect(canonicalJson(reordered)).toBe(canonicalJson(value));
        expect(contentHash(reordered)).toBe(contentHash(value));
      }),
      { numRuns: 500 },
    );
  });

  it("change when the content changes (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(canonicalJson(a) !== canonicalJson(b));
        expect(contentHash(a)).not.toBe(contentHash(b));
      }),
      { numRuns: 300 },
    );
  });

  it("sorts keys recursively with no whitespace and round-trips through JSON.parse", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    const flow = exampleFlow();
    expect(JSON.parse(canonicalJson(flow))).toEqual(JSON.parse(JSON.stringify(flow)));
  });

  it("hashes as sha256 hex with a prefix", () => {
    // sha256 of the two bytes `{}`
    expect(contentHash({})).toBe("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });
});
