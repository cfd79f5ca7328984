import { builtins } from "./builtin-functions";
import { compileApply, compileCall, compileLambda, compilePartial } from "./compile-call";
import { type CompileContext, childContext, guardDepth, isFree } from "./compile-context";
import { compileArray, compileGroup, compileObject } from "./compile-constructors";
import { compileBinary, compileUnaryMinus } from "./compile-operators";
import { compileDescendants, compileFieldPath, compileFilter, compilePath, compileWildcard } from "./compile-path";
import { compileTransform } from "./compile-transform";
import { type Evaluator, Frame, type Runtime, UNBOUND } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import type { AstNode } from "./jsonata-ast";
import { lookupField } from "./object-functions";
import { compileRegex, RegexProcedure } from "./regex-procedure";
import { collapse, collapseKeepingArray, isOuterWrapper } from "./sequence";
import { toBoolean } from "./value-semantics";

/**
 * Compiles one AST node to a closure that does what JSONata's evaluate() does for it: the node's
 * own evaluation, then its predicates, its grouping, and the collapse of the sequence it built.
 */
export function compileNode(node: AstNode, context: CompileContext): Evaluator {
  if (node.type === "path") {
    const fieldPath = compileFieldPath(node, context);
    if (fieldPath) return fieldPath;
  }
  let evaluate = compileBase(node, context);
  if (node.predicate && node.predicate.length > 0) {
    const base = evaluate;
    const filters = node.predicate.map((stage) => compileFilter(stage.expr!, childContext(context)));
    evaluate = (input, frame, runtime) => {
      let result = base(input, frame, runtime);
      for (const filter of filters) result = filter(result, frame, runtime);
      return result;
    };
  }
  if (node.group && node.type !== "path") {
    const base = evaluate;
    const group = compileGroup(node.group.lhs, childContext(context), node.group.position);
    evaluate = (input, frame, runtime) => group(base(input, frame, runtime), frame, runtime);
  }
  if (mayBuildSequence(node)) {
    const uncollapsed = evaluate;
    evaluate = node.keepArray
      ? (input, frame, runtime) => collapseKeepingArray(uncollapsed(input, frame, runtime))
      : (input, frame, runtime) => collapse(uncollapsed(input, frame, runtime));
  }
  return isLeaf(node) ? guardDepth(evaluate, context) : evaluate;
}

function mayBuildSequence(node: AstNode): boolean {
  if (node.predicate || node.group) return true;
  switch (node.type) {
    case "string":
    case "number":
    case "value":
    case "lambda":
    case "regex":
    case "transform":
    case "unary":
      return false;
    case "binary":
      return node.value === "..";
    default:
      return true;
  }
}

/** Nodes that evaluate no child node, where the depth budget is checked. */
function isLeaf(node: AstNode): boolean {
  switch (node.type) {
    case "string":
    case "number":
    case "value":
    case "name":
    case "variable":
    case "wildcard":
    case "descendant":
    case "parent":
    case "regex":
    case "lambda":
    case "transform":
    case "operator":
      return true;
    case "block":
      return (node.expressions ?? []).length === 0;
    case "unary":
      return node.value === "["
        ? (node.expressions ?? []).length === 0
        : node.value === "{" && (node.lhs as []).length === 0;
    default:
      return false;
  }
}

function compileBase(node: AstNode, context: CompileContext): Evaluator {
  switch (node.type) {
    case "string":
    case "number":
    case "value": {
      const value = node.value;
      return () => value;
    }
    case "name": {
      const key = String(node.value);
      return (input) => lookupField(input, key);
    }
    case "variable":
      return compileVariable(String(node.value), context);
    case "path":
      return compilePath(node, context);
    case "binary":
      return compileBinary(node, context);
    case "unary":
      if (node.value === "-") return compileUnaryMinus(node, context);
      if (node.value === "[") return compileArray(node, context);
      return compileObject(node, context);
    case "wildcard":
      return compileWildcard();
    case "descendant":
      return compileDescendants();
    case "parent": {
      const label = node.slot!.label;
      return (_input, frame) => {
        const value = frame.lookup(label);
        return value === UNBOUND ? undefined : value;
      };
    }
    case "condition":
      return compileCondition(node, context);
    case "block":
      return compileBlock(node, context);
    case "bind":
      return compileBind(node, context);
    case "regex": {
      // `??` and `?:` copy their left side through JSON, which turns a regex into `{}`; JSONata
      // then builds a RegExp from that value's text, and so does this.
      const regex = node.value instanceof RegExp ? node.value : new RegExp(String(node.value));
      const procedure = new RegexProcedure(compileRegex(regex), String(regex));
      return () => procedure;
    }
    case "function":
      return compileCall(node, context, false);
    case "partial":
      return compilePartial(node, context);
    case "lambda":
      return compileLambda(node, context);
    case "apply":
      return compileApply(node, context);
    case "transform":
      return compileTransform(node, context);
    default:
      throw new ExpressionError({ code: "S0206", token: node.type, position: node.position });
  }
}

/** The value of `$name`: frames, then `$$`, then the caller's bindings, then the builtins. */
export function lookupVariable(name: string, frame: Frame, runtime: Runtime): unknown {
  const bound = frame.lookup(name);
  if (bound !== UNBOUND) return bound;
  return lookupGlobal(name, runtime);
}

/** A name no frame binds: the root input for `$`, a binding, or a builtin. */
function lookupGlobal(name: string, runtime: Runtime): unknown {
  if (name === "$") return runtime.root;
  const bindings = runtime.bindings;
  if (Object.hasOwn(bindings, name)) return bindings[name];
  return builtins.get(name);
}

function compileVariable(name: string, context: CompileContext): Evaluator {
  if (name === "") return (input) => (isOuterWrapper(input) ? input[0] : input);
  if (name === "$") return (_input, frame, runtime) => lookupVariable("$", frame, runtime);
  if (!isFree(context, name)) return (_input, frame, runtime) => lookupVariable(name, frame, runtime);
  const builtin = builtins.get(name);
  return (_input, _frame, runtime) => {
    const bindings = runtime.bindings;
    return Object.hasOwn(bindings, name) ? bindings[name] : builtin;
  };
}

function compileCondition(node: AstNode, context: CompileContext): Evaluator {
  const inner = childContext(context);
  const condition = compileNode(node.condition!, inner);
  const then = compileNode(node.then!, inner);
  const otherwise = node.else ? compileNode(node.else, inner) : undefined;
  return (input, frame, runtime) => {
    if (toBoolean(condition(input, frame, runtime))) return then(input, frame, runtime);
    return otherwise ? otherwise(input, frame, runtime) : undefined;
  };
}

/** Whether a block's own level (not nested blocks or lambdas) binds a variable. */
function bindsInBlock(node: AstNode): boolean {
  let found = false;
  const walk = (value: unknown): void => {
    if (found || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) return value.forEach(walk);
    const typed = value as AstNode;
    if (typed.type === "bind") found = true;
    if (typed.type === "block" || (typed.type === "lambda" && !typed.thunk)) return;
    for (const [key, child] of Object.entries(typed)) if (key !== "value" && key !== "signature") walk(child);
  };
  (node.expressions ?? []).forEach(walk);
  return found;
}

function compileBlock(node: AstNode, context: CompileContext): Evaluator {
  const expressions = (node.expressions ?? []).map((expression) => compileNode(expression, childContext(context)));
  // A block scopes its variables; one that binds none needs no frame of its own.
  const needsFrame = context.scope.usesEval || bindsInBlock(node);
  if (expressions.length === 1 && !needsFrame) return expressions[0]!;
  return (input, frame, runtime) => {
    const inner = needsFrame ? new Frame(frame) : frame;
    let result: unknown;
    for (const expression of expressions) result = expression(input, inner, runtime);
    return result;
  };
}

function compileBind(node: AstNode, context: CompileContext): Evaluator {
  const name = String((node.lhs as AstNode).value);
  const value = compileNode(node.rhs as AstNode, childContext(context));
  return (input, frame, runtime) => {
    const bound = value(input, frame, runtime);
    frame.bind(name, bound);
    return bound;
  };
}
