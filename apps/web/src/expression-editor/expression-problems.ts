import { check, syntaxProblem } from "@meterflow/expressions";
import { jsonPath, nodeTypeSpec, type FlowDocument, type Problem } from "@meterflow/flow-spec";
import { inputSchemaFor } from "./input-schema";

/**
 * The type check of every expression against the shape of its node's input: paths that do not
 * exist there, arithmetic on strings and the like. Syntax errors are the validator's; skipped here.
 */
export function expressionProblems(document: FlowDocument): Problem[] {
  return document.nodes.flatMap((node, index) => {
    const fields = nodeTypeSpec(node.type).expressions(node.config as never);
    if (fields.length === 0) return [];
    const schema = inputSchemaFor(document, node.id);
    return fields.flatMap((field) => {
      if (syntaxProblem(field.source)) return [];
      return check(field.source, schema as never).map(
        (problem): Problem => ({
          path: jsonPath(["nodes", index, "config", ...field.path]),
          code: "expression_type",
          severity: problem.severity,
          message: `${field.source}: ${problem.message}`,
          nodeId: node.id,
        }),
      );
    });
  });
}
