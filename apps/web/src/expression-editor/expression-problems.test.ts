import { validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { describe, expect, it } from "vitest";
import template from "../../../../templates/metered-api-billing.json";
import { expressionProblems } from "./expression-problems";

const document = () => structuredClone(validateFlow(template).document as FlowDocument);

describe("expressionProblems", () => {
  it("finds nothing wrong in the shipped template", () => {
    expect(expressionProblems(document())).toEqual([]);
  });

  it("reports a path the node's input does not have, at the expression's field", () => {
    const flow = document();
    const map = flow.nodes.find((node) => node.id === "map")!;
    (map.config as { fields: { target: string; expression: string }[] }).fields[0]!.expression = "data.tenant";
    const [problem] = expressionProblems(flow);
    expect(problem).toMatchObject({
      code: "expression_type",
      nodeId: "map",
      path: `$.nodes[${flow.nodes.indexOf(map)}].config.fields[0].expression`,
    });
    expect(problem!.message).toMatch(/^data\.tenant: "data.tenant" is not in the input schema/);
  });
});
