export const problemCodes = [
  "invalid_document",
  "unsupported_api_version",
  "invalid_field",
  "unknown_node_type",
  "missing_config",
  "invalid_config",
  "duplicate_node_id",
  "duplicate_edge_id",
  "dangling_edge",
  "unknown_port",
  "incompatible_ports",
  "duplicate_edge",
  "cycle",
  "unknown_reference",
  "undeclared_reference",
  "no_source",
  "unconnected_input",
  "invalid_expression",
  "expression_type",
] as const;
export type ProblemCode = (typeof problemCodes)[number];

export type ProblemSeverity = "error" | "warning";

/** One thing wrong with a flow document, located by a JSON path such as `$.nodes[2].config.key`. */
export interface Problem {
  path: string;
  code: ProblemCode;
  severity: ProblemSeverity;
  message: string;
  nodeId?: string;
  edgeId?: string;
}

export function jsonPath(segments: readonly PropertyKey[]): string {
  let path = "$";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

export function formatProblem(problem: Problem): string {
  return `${problem.severity === "error" ? "error  " : "warning"} ${problem.path}: ${problem.message}`;
}
