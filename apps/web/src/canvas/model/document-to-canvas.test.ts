import fc from "fast-check";
import { validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { exampleFlow } from "@meterflow/flow-spec/testing";
import { describe, expect, it } from "vitest";
import { canvasToDocument, documentToCanvas } from "./document-to-canvas";

function validExample(): FlowDocument {
  const result = validateFlow(exampleFlow());
  if (!result.ok) throw new Error("example flow must be valid");
  return result.document;
}

describe("document <-> canvas", () => {
  it("round-trips: mapping to the canvas and back gives the same document (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ x: fc.integer({ min: -5000, max: 5000 }), y: fc.integer({ min: -5000, max: 5000 }) }), { minLength: 4, maxLength: 4 }), (positions) => {
        const document = validExample();
        document.nodes.forEach((node, i) => (node.position = positions[i]!));
        const { nodes } = documentToCanvas(document);
        expect(canvasToDocument(document, nodes)).toEqual(document);
      }),
    );
  });

  it("writes moved positions back, rounded to whole pixels, and leaves the rest alone", () => {
    const document = validExample();
    const { nodes } = documentToCanvas(document);
    const moved = nodes.map((node) => (node.id === "map" ? { ...node, position: { x: 512.6, y: -40.2 } } : node));
    const updated = canvasToDocument(document, moved);
    expect(updated.nodes.find((n) => n.id === "map")!.position).toEqual({ x: 513, y: -40 });
    expect(updated.edges).toBe(document.edges);
    expect(updated.nodes.filter((n) => n.id !== "map")).toEqual(document.nodes.filter((n) => n.id !== "map"));
  });

  it("labels nodes and edges with test-run counts when given", () => {
    const document = validExample();
    const { nodes, edges } = documentToCanvas(document, [], new Map([["validate", { received: 5, emitted: { valid: 3, invalid: 2 } }]]));
    expect(nodes.find((n) => n.id === "validate")!.data.run).toEqual({ received: 5, emitted: { valid: 3, invalid: 2 } });
    expect(nodes.find((n) => n.id === "map")!.data.run).toBeUndefined();
    expect(edges.find((e) => e.id === "e2")!.label).toBe("3");
    expect(edges.find((e) => e.id === "e3")!.label).toBe("2");
    expect(edges.find((e) => e.id === "e1")!.label).toBeUndefined();
  });

  it("exposes each node's ports and problems and wires edges to port handles", () => {
    const document = validExample();
    const problem = { path: "$.nodes[1]", code: "invalid_config" as const, severity: "error" as const, message: "x", nodeId: "validate" };
    const { nodes, edges } = documentToCanvas(document, [problem]);
    const validate = nodes.find((n) => n.id === "validate")!;
    expect(validate.data.outputs.map((p) => p.name)).toEqual(["valid", "invalid"]);
    expect(validate.data.problems).toEqual([problem]);
    expect(nodes.find((n) => n.id === "map")!.data.problems).toEqual([]);
    expect(edges.find((e) => e.id === "e3")).toMatchObject({ source: "validate", sourceHandle: "invalid", target: "errors", targetHandle: "in" });
  });
});
