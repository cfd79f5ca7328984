import { ExpressionError } from "../expression-error";
import type { AstNode } from "../jsonata-ast";
import { parseExpression } from "../parse-expression";
import { resolvePaths, visitNodes } from "./resolve-paths";

export type LineageKind = "direct" | "transformation" | "aggregation" | "filter" | "constant";

export interface FieldLineage {
  field: string;
  inputs: string[];
  kind: LineageKind;
}

const AGGREGATES = new Set(["sum", "count", "max", "min", "average", "reduce"]);

/**
 * For an object-constructor mapping, each output field with the input paths it is derived from
 * and how: copied as is, transformed, aggregated, or filtered/conditional.
 */
export function fieldLineage(expression: string | { ast: AstNode }): FieldLineage[] {
  const ast = parseExpression(expression);
  if (ast.type !== "unary" || ast.value !== "{") {
    throw new ExpressionError(
      { code: "M0100" },
      'Field lineage needs an object constructor mapping, e.g. { "tenantId": data.tenantId }',
    );
  }
  const resolved = resolvePaths(ast);
  return (ast.lhs as [AstNode, AstNode][]).map(([key, value]) => {
    const inputs = new Set<string>();
    let aggregates = false;
    let filters = false;
    visitNodes(value, (node) => {
      const path = resolved.byNode.get(node);
      if (path && path.length > 0) inputs.add(path.join("."));
      if (node.type === "function" && node.procedure?.type === "variable") {
        const name = String(node.procedure.value);
        if (AGGREGATES.has(name)) aggregates = true;
        if (name === "filter") filters = true;
      }
      if (node.type === "condition" || (node.stages?.length ?? 0) > 0 || (node.predicate?.length ?? 0) > 0)
        filters = true;
    });
    const direct = isPlainNavigation(value);
    const kind: LineageKind =
      inputs.size === 0
        ? "constant"
        : aggregates
          ? "aggregation"
          : filters
            ? "filter"
            : direct
              ? "direct"
              : "transformation";
    const ordered = resolved.reads.map((path) => path.join(".")).filter((path) => inputs.has(path));
    return { field: key.type === "string" ? String(key.value) : "(computed)", inputs: ordered, kind };
  });
}

function isPlainNavigation(node: AstNode): boolean {
  if (node.type === "name") return !node.predicate;
  if (node.type !== "path") return false;
  return (node.steps ?? []).every(
    (step, index) =>
      (step.type === "name" || (index === 0 && step.type === "variable" && step.value === "$")) && !step.stages,
  );
}
