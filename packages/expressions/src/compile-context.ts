import type { Evaluator, Frame, Runtime } from "./evaluation-runtime";
import type { AstNode } from "./jsonata-ast";

/** What the compiler knows about the whole expression, worked out once before compiling. */
export interface ExpressionScope {
  /** Variable names some construct of the expression binds (`:=`, lambda parameters, `@`, `#`, `%`). */
  readonly boundNames: ReadonlySet<string>;
  /** `$eval` can bind any name at run time, so every lookup must go through the frames. */
  readonly usesEval: boolean;
  /** Whether a top-level construct binds into the evaluation's root frame. */
  readonly bindsAtRoot: boolean;
}

/** Where a node sits: its static depth below its code root, and whether that root's depth varies. */
export interface CompileContext {
  readonly scope: ExpressionScope;
  readonly maxDepth: number;
  /** This node's depth below its code root (the expression, or a lambda or transform body). */
  readonly depth: number;
  /** Inside a lambda, transform or $eval body: the root runs at the depth of the call. */
  readonly dynamicBase: boolean;
}

export function childContext(context: CompileContext, levels = 1): CompileContext {
  return { ...context, depth: context.depth + levels };
}

/** The context of a body that runs where it is called from (lambda, transform, $eval). */
export function bodyContext(context: CompileContext): CompileContext {
  return { ...context, depth: 1, dynamicBase: true };
}

/** Whether lookups of `name` can skip the frames (nothing in the expression binds it). */
export function isFree(context: CompileContext, name: string): boolean {
  return !context.scope.usesEval && !context.scope.boundNames.has(name);
}

/**
 * Guards a node that evaluates no child (a leaf): the deepest point of any evaluation is a leaf,
 * so checking leaves alone enforces the depth budget exactly where JSONata counts it.
 */
export function guardDepth(evaluate: Evaluator, context: CompileContext): Evaluator {
  const { depth, maxDepth } = context;
  if (context.dynamicBase)
    return (input: unknown, frame: Frame, runtime: Runtime) => {
      if (runtime.depthBase + depth > maxDepth) throw runtime.depthExceeded();
      return evaluate(input, frame, runtime);
    };
  if (depth > maxDepth)
    return (_input: unknown, _frame: Frame, runtime: Runtime) => {
      throw runtime.depthExceeded();
    };
  return evaluate;
}

function visit(node: unknown, callback: (node: AstNode, insideBody: boolean) => void, insideBody: boolean): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const item of node) visit(item, callback, insideBody);
    return;
  }
  const typed = node as AstNode;
  if (typeof typed.type === "string") callback(typed, insideBody);
  const nested = insideBody || typed.type === "block" || (typed.type === "lambda" && !typed.thunk);
  for (const [key, value] of Object.entries(typed)) {
    if (key === "value" || key === "signature" || key === "ancestor" || key === "slot") continue;
    visit(value, callback, nested);
  }
}

export function analyseScope(ast: AstNode): ExpressionScope {
  const boundNames = new Set<string>();
  let usesEval = false;
  let bindsAtRoot = false;
  visit(
    ast,
    (node, insideBody) => {
      if (node.type === "bind") {
        boundNames.add(String((node.lhs as AstNode).value));
        if (!insideBody) bindsAtRoot = true;
      }
      if (node.type === "lambda") for (const param of node.arguments ?? []) boundNames.add(String(param.value));
      if (node.type === "variable" && node.value === "eval") usesEval = true;
      if (node.focus !== undefined) boundNames.add(node.focus);
      if (node.index !== undefined) boundNames.add(node.index);
      if (node.ancestor) boundNames.add(node.ancestor.label);
      for (const stage of node.stages ?? []) if (stage.type === "index") boundNames.add(String(stage.value));
    },
    false,
  );
  return { boundNames, usesEval, bindsAtRoot: bindsAtRoot || usesEval };
}
