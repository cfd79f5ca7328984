import { canonicalTypes, eventSchemas } from "@meterflow/canonical";
import { syntaxProblem } from "@meterflow/expressions";
import { validateFlow, type FlowDocument, type Problem, type ValidateOptions } from "@meterflow/flow-spec";

/** Thrown (as a tRPC error's cause) when a document has errors; the client shows each problem. */
export class InvalidFlowError extends Error {
  constructor(readonly problems: Problem[]) {
    const errors = problems.filter((problem) => problem.severity === "error");
    super(
      `The flow has ${errors.length} problem(s); nothing was saved. First: ${errors[0]?.path}: ${errors[0]?.message}`,
    );
  }
}

/** Checks against flow-spec, the known event schemas and canonical types, and the expression parser. */
const validateOptions: ValidateOptions = {
  referenceExists: (kind, ref) => {
    if (kind === "eventSchema") return eventSchemas.has(ref);
    if (kind === "canonicalType") return canonicalTypes.has(ref);
    return true; // endpoints are registered by the runtime; until then any declared endpoint is accepted
  },
  checkExpression: syntaxProblem,
};

/** Every problem of a document, as the designer shows it and saving judges it. */
export function flowProblems(document: unknown) {
  return validateFlow(document, validateOptions);
}

/** The validated document, or an InvalidFlowError with every problem. */
export function checkFlow(document: unknown): { document: FlowDocument; problems: Problem[] } {
  const result = flowProblems(document);
  if (!result.ok) throw new InvalidFlowError(result.problems);
  return { document: result.document, problems: result.problems };
}
