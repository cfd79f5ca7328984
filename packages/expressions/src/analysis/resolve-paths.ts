import type { AstNode } from "../jsonata-ast";

/** An input field path, as segments from the expression's input (`["data", "calls"]`). */
export type InputPath = readonly string[];

export interface ResolvedPaths {
  /** Path and name nodes whose value is known to come from one input path. */
  readonly byNode: Map<AstNode, InputPath>;
  /** Every input path the expression reads, in first-seen order, without repeats. */
  readonly reads: InputPath[];
}

type Variables = ReadonlyMap<string, InputPath | null>;
const HIGHER_ORDER = new Set(["map", "filter", "reduce", "single", "sift", "each"]);

/**
 * Walks the AST once and works out which input path each path expression reads, following
 * relative steps (`items.{ "x": price }` reads `items.price`), predicates, `$$`, variables bound
 * to paths and the parameters of lambdas given to $map/$filter/$reduce.
 */
export function resolvePaths(ast: AstNode): ResolvedPaths {
  const byNode = new Map<AstNode, InputPath>();
  const seen = new Set<string>();
  const reads: InputPath[] = [];
  const record = (node: AstNode, path: InputPath) => {
    byNode.set(node, path);
    const key = path.join("\u0000");
    if (path.length > 0 && !seen.has(key)) {
      seen.add(key);
      reads.push(path);
    }
  };

  // Returns the input path the node's value comes from, when it is a navigation.
  const walk = (node: AstNode | undefined, context: InputPath | null, vars: Variables): InputPath | null => {
    if (!node) return null;
    let result: InputPath | null = null;
    switch (node.type) {
      case "name":
        result = context ? [...context, String(node.value)] : null;
        if (result) record(node, result);
        break;
      case "variable":
        result = node.value === "" ? context : node.value === "$" ? [] : (vars.get(String(node.value)) ?? null);
        break;
      case "path": {
        let current: InputPath | null = context;
        let lastWasName = false;
        for (const step of node.steps ?? []) {
          if (step.type === "name") {
            current = current ? [...current, String(step.value)] : null;
            lastWasName = true;
          } else {
            current = walk(step, current, vars);
            lastWasName = false;
          }
          for (const stage of step.stages ?? []) walk(stage.expr, current, vars);
        }
        result = current;
        if (result && (lastWasName || node.steps?.at(-1)?.type === "variable")) record(node, result);
        break;
      }
      case "binary":
        walk(node.lhs as AstNode, context, vars);
        walk(node.rhs, context, vars);
        break;
      case "unary":
        if (node.value === "-") walk(node.expression, context, vars);
        else if (node.value === "[") node.expressions?.forEach((item) => walk(item, context, vars));
        else if (node.value === "{")
          (node.lhs as [AstNode, AstNode][]).forEach(
            ([key, value]) => (walk(key, context, vars), walk(value, context, vars)),
          );
        break;
      case "condition":
        walk(node.condition, context, vars);
        walk(node.then, context, vars);
        walk(node.else, context, vars);
        break;
      case "block": {
        const scoped = new Map(vars);
        for (const expression of node.expressions ?? []) {
          if (expression.type === "bind")
            scoped.set(String((expression.lhs as AstNode).value), walk(expression.rhs, context, scoped));
          else result = walk(expression, context, scoped);
        }
        break;
      }
      case "bind":
        walk(node.rhs, context, vars);
        break;
      case "function": {
        const name = node.procedure?.type === "variable" ? String(node.procedure.value) : "";
        const args = node.arguments ?? [];
        const firstPath = walk(args[0], context, vars);
        args.slice(1).forEach((argument) => {
          if (argument.type === "lambda" && HIGHER_ORDER.has(name)) {
            // The lambda's first parameter is each item of the first argument ($reduce: the second).
            const params = (argument.arguments ?? []).map((param) => String(param.value));
            const itemParam = name === "reduce" ? params[1] : params[0];
            const lambdaVars = new Map(vars);
            params.forEach((param) => lambdaVars.set(param, param === itemParam ? firstPath : null));
            walk(argument.body, context, lambdaVars);
          } else {
            walk(argument, context, vars);
          }
        });
        if (name === "lookup" && firstPath && args[1]?.type === "string") {
          result = [...firstPath, String(args[1].value)];
          record(node, result);
        }
        break;
      }
      case "lambda":
        walk(
          node.body,
          context,
          new Map([...vars, ...(node.arguments ?? []).map((param) => [String(param.value), null] as const)]),
        );
        break;
      default:
        break;
    }
    for (const stage of node.type === "path" ? [] : (node.predicate ?? [])) walk(stage.expr, result, vars);
    return result;
  };

  walk(ast, [], new Map());
  return { byNode, reads };
}

/** Calls back on every node of the AST, depth first. */
export function visitNodes(node: unknown, callback: (node: AstNode) => void): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((item) => visitNodes(item, callback));
  const typed = node as AstNode;
  if (typeof typed.type === "string") callback(typed);
  for (const [key, value] of Object.entries(typed)) if (key !== "value") visitNodes(value, callback);
}
