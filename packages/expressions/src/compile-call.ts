import { builtins } from "./builtin-functions";
import { compileNode, lookupVariable } from "./compile-ast";
import { bodyContext, type CompileContext, childContext, isFree } from "./compile-context";
import type { Evaluator, Frame, Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { type AstNode, printNode } from "./jsonata-ast";
import {
  ChainProcedure,
  HostProcedure,
  invokeProcedure,
  isCallable,
  LambdaProcedure,
  PartialProcedure,
  Procedure,
  signatureOf,
  TailCall,
} from "./procedure";

/** A call evaluated with arguments placed before its own (`x ~> $f(y)` calls `$f(x, y)`). */
type Invocation = (input: unknown, frame: Frame, runtime: Runtime, leading: unknown) => unknown;

const NO_LEADING = Symbol("noLeading");
const PLACEHOLDER = Symbol("placeholder");

function procedureName(node: AstNode): string | undefined {
  const procedure = node.procedure!;
  if (procedure.type === "path") return String(procedure.steps?.[0]?.value);
  return procedure.value === undefined ? undefined : String(procedure.value);
}

/** Adds the call's function name and position to an error raised inside it. */
function locate(error: unknown, node: AstNode, name: string | undefined): unknown {
  if (error instanceof ExpressionError && !error.expression) {
    error.at(name, node.position);
    error.subExpression ??= printNode(node);
  }
  return error;
}

/** `name(...)` where `name` is a bound variable: the user forgot the `$`. */
function forgotDollar(
  node: AstNode,
  frame: Frame,
  runtime: Runtime,
  code: "T1005" | "T1007",
): ExpressionError | undefined {
  const procedure = node.procedure!;
  if (procedure.type !== "path") return undefined;
  const name = String(procedure.steps?.[0]?.value);
  if (lookupVariable(name, frame, runtime) === undefined) return undefined;
  return new ExpressionError({ code, token: name, position: node.position });
}

function compileInvocation(node: AstNode, context: CompileContext, tail: boolean): Invocation {
  const inner = childContext(context);
  const args = (node.arguments ?? []).map((argument) => compileNode(argument, inner));
  const depth = context.depth;
  const name = procedureName(node);
  const evaluateArgs = (input: unknown, frame: Frame, runtime: Runtime, leading: unknown): unknown[] => {
    const values: unknown[] = leading === NO_LEADING ? [] : [leading];
    for (const arg of args) values.push(arg(input, frame, runtime));
    return values;
  };
  const apply = (procedure: unknown, values: unknown[], input: unknown, frame: Frame, runtime: Runtime) => {
    runtime.callDepth = runtime.depthBase + depth;
    if (tail) {
      if (!isCallable(procedure)) throw locate(new ExpressionError({ code: "T1006" }), node, name);
      return new TailCall(procedure, values, input, frame);
    }
    try {
      return invokeProcedure(procedure, values, runtime, input, frame);
    } catch (error) {
      throw locate(error, node, name);
    }
  };

  const procedureNode = node.procedure!;
  const builtin = procedureNode.type === "variable" ? builtins.get(String(procedureNode.value)) : undefined;
  if (builtin && isFree(context, name!) && !procedureNode.predicate && !procedureNode.keepArray) {
    // A builtin no variable of the expression can shadow: only the caller's bindings might.
    const { maxDepth } = context;
    const checkDepth = context.dynamicBase || depth + 1 > maxDepth;
    return (input, frame, runtime, leading) => {
      if (checkDepth && runtime.depthBase + depth + 1 > maxDepth) throw runtime.depthExceeded();
      const bindings = runtime.bindings;
      const procedure = Object.hasOwn(bindings, name!) ? bindings[name!] : builtin;
      return apply(procedure, evaluateArgs(input, frame, runtime, leading), input, frame, runtime);
    };
  }
  const evaluateProcedure = compileNode(procedureNode, inner);
  return (input, frame, runtime, leading) => {
    const procedure = evaluateProcedure(input, frame, runtime);
    if (procedure === undefined) {
      const forgot = forgotDollar(node, frame, runtime, "T1005");
      if (forgot) throw forgot;
    }
    return apply(procedure, evaluateArgs(input, frame, runtime, leading), input, frame, runtime);
  };
}

export function compileCall(node: AstNode, context: CompileContext, tail: boolean): Evaluator {
  const invocation = compileInvocation(node, context, tail);
  return (input, frame, runtime) => invocation(input, frame, runtime, NO_LEADING);
}

export function compileLambda(node: AstNode, context: CompileContext): Evaluator {
  if (node.thunk) {
    // The parser marks calls in tail position this way; they run in the lambda's invocation
    // loop. Their function and arguments count one level below the invoking call, as JSONata's
    // trampoline evaluates them.
    return compileCall(node.body!, { ...context, depth: 0 }, true);
  }
  const params = (node.arguments ?? []).map((param) => String(param.value));
  const signature = node.signature ? signatureOf(node.signature.definition) : undefined;
  const body = compileNode(node.body!, bodyContext(context));
  return (input, frame) => new LambdaProcedure(params, signature, body, input, frame);
}

export function compilePartial(node: AstNode, context: CompileContext): Evaluator {
  const inner = childContext(context);
  const args = (node.arguments ?? []).map((argument) =>
    argument.type === "operator" && argument.value === "?" ? undefined : compileNode(argument, inner),
  );
  const evaluateProcedure = compileNode(node.procedure!, inner);
  const name = procedureName(node);
  return (input, frame, runtime) => {
    const template = args.map((arg) => (arg === undefined ? PLACEHOLDER : arg(input, frame, runtime)));
    const procedure = evaluateProcedure(input, frame, runtime);
    if (procedure === undefined) {
      const forgot = forgotDollar(node, frame, runtime, "T1007");
      if (forgot) throw forgot;
    }
    if (procedure instanceof Procedure) return new PartialProcedure(procedure, template, PLACEHOLDER);
    if (typeof procedure === "function")
      return new PartialProcedure(
        new HostProcedure(procedure as (...values: unknown[]) => unknown),
        template,
        PLACEHOLDER,
      );
    throw new ExpressionError({ code: "T1008", token: name, position: node.position });
  };
}

/** `value ~> $f(args)` calls `$f(value, args)`; `value ~> $f` calls `$f(value)`; `$f ~> $g` composes. */
export function compileApply(node: AstNode, context: CompileContext): Evaluator {
  const inner = childContext(context);
  const lhs = compileNode(node.lhs as AstNode, inner);
  const rhsNode = node.rhs as AstNode;
  if (rhsNode.type === "function") {
    const invocation = compileInvocation(rhsNode, context, false);
    return (input, frame, runtime) => invocation(input, frame, runtime, lhs(input, frame, runtime));
  }
  const rhs = compileNode(rhsNode, inner);
  const depth = context.depth;
  return (input, frame, runtime) => {
    const value = lhs(input, frame, runtime);
    const fn = rhs(input, frame, runtime);
    if (!isCallable(fn)) throw new ExpressionError({ code: "T2006", position: node.position, value: fn });
    if (isCallable(value)) return new ChainProcedure(value, fn);
    runtime.callDepth = runtime.depthBase + depth;
    try {
      return invokeProcedure(fn, [value], runtime, input, frame);
    } catch (error) {
      throw locate(error, node, undefined);
    }
  };
}
