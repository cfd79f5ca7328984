import { canonicalTypes, eventSchemas } from "@meterflow/canonical";
import { compile, ExpressionError } from "@meterflow/expressions";
import { jsonPath, nodeTypeSpec, validateFlow, type FlowDocument, type Problem } from "@meterflow/flow-spec";

/** Thrown (as a tRPC error's cause) when a document has errors; the client shows each problem. */
export class InvalidFlowError extends Error {
  constructor(readonly problems: Problem[]) {
    const errors = problems.filter((problem) => problem.severity === "error");
    super(`The flow has ${errors.length} problem(s); nothing was saved. First: ${errors[0]?.path}: ${errors[0]?.message}`);
  }
}

/** Validates against flow-spec and the known event schemas and canonical types. */
export function checkFlow(document: unknown): { document: FlowDocument; problems: Problem[] } {
  const result = validateFlow(document, {
    referenceExists: (kind, ref) => {
      if (kind === "eventSchema") return eventSchemas.has(ref);
      if (kind === "canonicalType") return canonicalTypes.has(ref);
      return true; // endpoints are registered by the runtime; until then any declared endpoint is accepted
    },
  });
  if (!result.ok) throw new InvalidFlowError(result.problems);
  const expressionProblems = checkExpressions(result.document);
  if (expressionProblems.length > 0) throw new InvalidFlowError([...result.problems, ...expressionProblems]);
  return { document: result.document, problems: result.problems };
}

/** Every expression of every node must parse: a syntax error is a problem at its JSON path. */
function checkExpressions(document: FlowDocument): Problem[] {
  const problems: Problem[] = [];
  document.nodes.forEach((node, index) => {
    for (const field of nodeTypeSpec(node.type).expressions(node.config as never)) {
      try {
        compile(field.source);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        problems.push({
          path: jsonPath(["nodes", index, "config", ...field.path]),
          code: "invalid_expression",
          severity: "error",
          message: `Expression ${JSON.stringify(field.source)} does not parse: ${error.message}`,
          nodeId: node.id,
        });
      }
    }
  });
  return problems;
}
