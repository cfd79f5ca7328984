import { validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { exampleFlow } from "@meterflow/flow-spec/testing";
import { describe, expect, it } from "vitest";
import { documentToCanvas } from "./document-to-canvas";

function validExample(): FlowDocument {
  const result = validateFlow(exampleFlow());
  if (!result.ok) throw new Error("example flow must be valid");
  return result.document;
}

describe("document <-> canvas", () => {
  it("places each node where the document says, as whole pixels", () => {
    const document = validExample();
    const { nodes } = documentToCanvas(document);
    expect(nodes.map((node) => node.position)).toEqual(document.nodes.map((node) => node.position));
  });

  it("labels nodes and edges with test-run counts when given", () => {
    const document = validExample();
    const { nodes, edges } = documentToCanvas(
      document,
      [],
      new Map([["validate", { received: 5, emitted: { valid: 3, invalid: 2 } }]]),
    );
    expect(nodes.find((n) => n.id === "validate")!.data.run).toEqual({
      received: 5,
      emitted: { valid: 3, invalid: 2 },
    });
    expect(nodes.find((n) => n.id === "map")!.data.run).toBeUndefined();
    expect(edges.find((e) => e.id === "e2")!.label).toBe("3");
    expect(edges.find((e) => e.id === "e3")!.label).toBe("2");
    expect(edges.find((e) => e.id === "e1")!.label).toBeUndefined();
  });

  it("exposes each node's ports and problems and wires edges to port handles", () => {
    const document = validExample();
    const problem = {
      path: "$.nodes[1]",
      code: "invalid_config" as const,
      severity: "error" as const,
      message: "x",
      nodeId: "validate",
    };
    const { nodes, edges } = documentToCanvas(document, [problem]);
    const validate = nodes.find((n) => n.id === "validate")!;
    expect(validate.data.outputs.map((p) => p.name)).toEqual(["valid", "invalid"]);
    expect(validate.data.problems).toEqual([problem]);
    expect(nodes.find((n) => n.id === "map")!.data.problems).toEqual([]);
    expect(edges.find((e) => e.id === "e3")).toMatchObject({
      source: "validate",
      sourceHandle: "invalid",
      target: "errors",
      targetHandle: "in",
    });
  });
});
