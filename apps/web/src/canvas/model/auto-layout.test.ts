import { exampleFlow } from "@meterflow/flow-spec/testing";
import { validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { describe, expect, it } from "vitest";
import { autoLayout } from "./auto-layout";

describe("autoLayout", () => {
  it("places every node, each edge's target to the right of its source, without overlaps", async () => {
    const document = validateFlow(exampleFlow()).document as FlowDocument;
    const positions = await autoLayout(document);
    expect(Object.keys(positions).sort()).toEqual(document.nodes.map((node) => node.id).sort());
    for (const edge of document.edges)
      expect(positions[edge.target.node]!.x).toBeGreaterThan(positions[edge.source.node]!.x);
    const boxes = Object.values(positions);
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) expect(Math.abs(a.x - b.x) >= 200 || Math.abs(a.y - b.y) >= 110).toBe(true);
  });
});
