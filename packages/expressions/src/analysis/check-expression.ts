import type { AstNode } from "../jsonata-ast";
import { printNode } from "../jsonata-ast";
import { parseExpression } from "../parse-expression";
import { resolvePaths, visitNodes, type InputPath } from "./resolve-paths";

export interface ExpressionProblem {
  code: "unknown_path" | "type_mismatch";
  severity: "error" | "warning";
  message: string;
  /** The input path concerned, dotted. */
  path: string;
  /** Character position in the expression (JSONata's: the end of the token). */
  position?: number;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  $ref?: string;
};

const NUMERIC_FUNCTIONS = new Set(["sum", "max", "min", "average", "round", "floor", "ceil", "abs", "power", "sqrt"]);
const STRING_FUNCTIONS = new Set([
  "uppercase",
  "lowercase",
  "substring",
  "substringBefore",
  "substringAfter",
  "trim",
  "length",
  "contains",
  "split",
  "pad",
  "replace",
]);

/**
 * Checks an expression against the JSON Schema of its input: paths the schema does not have,
 * and obvious type mismatches (arithmetic on a string field, string functions on numbers).
 */
export function check(expression: string | { ast: AstNode }, inputSchema: JsonSchema): ExpressionProblem[] {
  const ast = parseExpression(expression);
  const resolved = resolvePaths(ast);
  const problems: ExpressionProblem[] = [];
  const reported = new Set<string>();

  for (const [node, path] of resolved.byNode) {
    const resolution = resolveSchema(inputSchema, path);
    const dotted = path.join(".");
    if (resolution.kind === "missing" && !reported.has(dotted)) {
      reported.add(dotted);
      problems.push({
        code: "unknown_path",
        severity: resolution.closed ? "error" : "warning",
        message: `"${dotted}" is not in the input schema; ${resolution.parent || "the input"} has ${resolution.known.length ? resolution.known.map((key) => `"${key}"`).join(", ") : "no declared fields"}`,
        path: dotted,
        ...(node.position !== undefined ? { position: node.position } : {}),
      });
    }
  }

  const typeOf = (node: AstNode | undefined): string | undefined => {
    const path = node && resolved.byNode.get(node);
    if (!path) return undefined;
    const resolution = resolveSchema(inputSchema, path);
    const type = resolution.kind === "found" ? singleType(resolution.schema) : undefined;
    return type === "integer" ? "number" : type;
  };
  const mismatch = (node: AstNode, operand: AstNode, message: string) => {
    const path = resolved.byNode.get(operand)!;
    problems.push({
      code: "type_mismatch",
      severity: "error",
      message,
      path: path.join("."),
      ...(node.position !== undefined ? { position: node.position } : {}),
    });
  };

  visitNodes(ast, (node) => {
    if (node.type === "binary" && ["+", "-", "*", "/", "%"].includes(String(node.value))) {
      for (const operand of [node.lhs as AstNode, node.rhs!]) {
        if (typeOf(operand) === "string") {
          mismatch(
            node,
            operand,
            `Arithmetic (${String(node.value)}) on the string field "${printNode(operand)}"; convert it with $number(${printNode(operand)})`,
          );
        }
      }
    }
    if (node.type === "binary" && ["<", "<=", ">", ">="].includes(String(node.value))) {
      const [left, right] = [node.lhs as AstNode, node.rhs!];
      const literalType = (side: AstNode) =>
        side.type === "number" ? "number" : side.type === "string" ? "string" : undefined;
      for (const [field, other] of [
        [left, right],
        [right, left],
      ] as const) {
        const fieldType = typeOf(field);
        const otherType = literalType(other) ?? typeOf(other);
        if (
          fieldType &&
          otherType &&
          (fieldType === "string" || fieldType === "number") &&
          (otherType === "string" || otherType === "number") &&
          fieldType !== otherType
        ) {
          mismatch(
            node,
            field,
            `"${printNode(field)}" is a ${fieldType} but is compared (${String(node.value)}) with a ${otherType}`,
          );
        }
      }
    }
    if (node.type === "function" && node.procedure?.type === "variable") {
      const name = String(node.procedure.value);
      const first = node.arguments?.[0];
      const type = typeOf(first);
      if (first && type === "string" && NUMERIC_FUNCTIONS.has(name))
        mismatch(node, first, `$${name} needs numbers, but "${printNode(first)}" is a string`);
      if (first && type === "number" && STRING_FUNCTIONS.has(name))
        mismatch(
          node,
          first,
          `$${name} needs a string, but "${printNode(first)}" is a ${type}; use $string(${printNode(first)})`,
        );
    }
  });
  return problems;
}

type Resolution =
  | { kind: "found"; schema: JsonSchema }
  | { kind: "missing"; parent: string; known: string[]; closed: boolean }
  | { kind: "open" };

/** Follows a path through `properties`; arrays are transparent, as in JSONata navigation. */
function resolveSchema(root: JsonSchema, path: InputPath): Resolution {
  let schema: JsonSchema = root;
  const walked: string[] = [];
  for (const segment of path) {
    while (
      schema.items &&
      (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array")) || !schema.properties)
    )
      schema = schema.items;
    if (!schema.properties) return { kind: "open" };
    const next = Object.hasOwn(schema.properties, segment) ? schema.properties[segment] : undefined;
    if (!next)
      return {
        kind: "missing",
        parent: walked.join("."),
        known: Object.keys(schema.properties),
        closed: schema.additionalProperties === false,
      };
    schema = next;
    walked.push(segment);
  }
  return { kind: "found", schema };
}

function singleType(schema: JsonSchema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  const types = (schema.type ?? []).filter((type) => type !== "null");
  return types.length === 1 ? types[0] : undefined;
}
