import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exampleFlow } from "./testing/example-flow";
import { validateFlow } from "./validate-flow";

/** Replaces the value at a random path of the example flow, to produce near-valid documents. */
const mutatedFlow = fc.tuple(fc.nat(), fc.nat(), fc.jsonValue()).map(([pick, pickChild, replacement]) => {
  const doc = exampleFlow() as unknown as Record<string, unknown>;
  const containers: Record<string, unknown>[] = [];
  const walk = (value: unknown) => {
    if (value && typeof value === "object") {
      containers.push(value as Record<string, unknown>);
      Object.values(value).forEach(walk);
    }
  };
  walk(doc);
  const target = containers[pick % containers.length]!;
  const keys = Object.keys(target);
  if (keys.length) target[keys[pickChild % keys.length]!] = replacement;
  return doc;
});

describe("validateFlow on arbitrary input", () => {
  it("never throws on arbitrary JSON and always explains a refusal", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateFlow(value);
        if (!result.ok) expect(result.problems.some((p) => p.severity === "error")).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on near-valid documents, and every problem has a JSON path and a message", () => {
    fc.assert(
      fc.property(mutatedFlow, (doc) => {
        const result = validateFlow(doc);
        for (const problem of result.problems) {
          expect(problem.path).toMatch(/^\$/);
          expect(problem.message.length).toBeGreaterThan(5);
        }
        expect(result.ok).toBe(!result.problems.some((p) => p.severity === "error"));
      }),
      { numRuns: 1000 },
    );
  });
});
