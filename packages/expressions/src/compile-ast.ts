import {
  builtins,
  defineMember,
  isFunctionValue,
  lookup,
  type CallContext,
  type FunctionValue,
} from "./builtin-functions";
import { ExpressionError } from "./expression-error";
import { printNode, type AstNode } from "./jsonata-ast";
import { collapse, isConstructed, isOuterWrapper, isSequence, markConstructed, sequence } from "./sequence";
import { deepEqual, isArrayOfNumbers, isNumeric, toBoolean, toJsonataString } from "./value-semantics";

/** A construct the compiler does not handle; the expression then runs on the reference evaluator. */
export class UnsupportedConstruct extends Error {
  constructor(readonly construct: string) {
    super(`not compiled: ${construct}`);
  }
}

/** The bindings of an evaluation that was given none: lets calls skip the override check. */
export const NO_BINDINGS: Record<string, unknown> = Object.freeze({});

/** Thrown while evaluating when the input needs semantics only the reference implements. */
export class NeedsReferenceEvaluator extends Error {}

/** Variables bound by blocks and lambdas; the outermost frame falls back to the caller's bindings. */
export interface Frame {
  readonly vars: Map<string, unknown>;
  readonly parent: Frame | null;
}

export interface Runtime extends CallContext {
  root: unknown;
  bindings: Record<string, unknown>;
  depth: number;
  readonly maxDepth: number;
}

export type Evaluator = (input: unknown, frame: Frame, runtime: Runtime) => unknown;

interface Scope {
  names: Set<string>;
  parent: Scope | null;
}

function inScope(scope: Scope | null, name: string): boolean {
  for (let current = scope; current; current = current.parent) if (current.names.has(name)) return true;
  return false;
}

export function compileAst(node: AstNode): Evaluator {
  return compileNode(node, null);
}

function compileNode(node: AstNode, scope: Scope | null): Evaluator {
  if (
    node.keepArray ||
    node.group !== undefined ||
    node.tuple ||
    node.focus !== undefined ||
    node.index !== undefined
  ) {
    throw new UnsupportedConstruct("array-keeping, grouping, focus or index bindings");
  }
  let evaluate = compileBase(node, scope);
  if (node.predicate && node.type !== "path") {
    const base = evaluate;
    const filters = node.predicate.map((stage) => compileStage(stage, scope));
    evaluate = (input, frame, runtime) => {
      let result = base(input, frame, runtime);
      for (const filter of filters) result = filter(result, frame, runtime);
      return result;
    };
  }
  if (node.type === "function") {
    const unlocated = evaluate;
    evaluate = (input, frame, runtime) => {
      try {
        return unlocated(input, frame, runtime);
      } catch (error) {
        if (error instanceof ExpressionError && error.subExpression === undefined && !error.expression) {
          error.subExpression = printNode(node);
          if (error.position === undefined) (error as { position: number | undefined }).position = node.position;
        }
        throw error;
      }
    };
  }
  // Paths collapse their own sequences (the field-chain fast path never makes one).
  const produces =
    node.type === "name" || node.type === "function" || (node.predicate !== undefined && node.type !== "path");
  if (!produces) return evaluate;
  const uncollapsed = evaluate;
  return (input, frame, runtime) => collapse(uncollapsed(input, frame, runtime));
}

function compileBase(node: AstNode, scope: Scope | null): Evaluator {
  switch (node.type) {
    case "string":
    case "number":
    case "value": {
      const value = node.value;
      return () => value;
    }
    case "name": {
      const key = String(node.value);
      return (input) => lookup(input, key);
    }
    case "variable":
      return compileVariable(String(node.value), scope);
    case "path":
      return compilePath(node, scope);
    case "binary":
      return compileBinary(node, scope);
    case "unary":
      return compileUnary(node, scope);
    case "condition": {
      const condition = compileNode(node.condition!, scope);
      const then = compileNode(node.then!, scope);
      const otherwise = node.else ? compileNode(node.else, scope) : undefined;
      return (input, frame, runtime) => {
        if (toBoolean(condition(input, frame, runtime))) return then(input, frame, runtime);
        return otherwise ? otherwise(input, frame, runtime) : undefined;
      };
    }
    case "block": {
      const blockScope: Scope = { names: new Set(), parent: scope };
      const expressions = (node.expressions ?? []).map((expression) => compileNode(expression, blockScope));
      return (input, frame, runtime) => {
        const inner: Frame = { vars: new Map(), parent: frame };
        let result: unknown;
        for (const expression of expressions) result = expression(input, inner, runtime);
        return result;
      };
    }
    case "bind": {
      const name = String((node.lhs as AstNode).value);
      // Named before its value compiles, so a lambda can call itself.
      if (scope) scope.names.add(name);
      const value = compileNode(node.rhs!, scope);
      return (input, frame, runtime) => {
        const bound = value(input, frame, runtime);
        frame.vars.set(name, bound);
        return bound;
      };
    }
    case "function":
      return compileCall(node, scope);
    case "lambda":
      return compileLambda(node, scope);
    default:
      throw new UnsupportedConstruct(node.type);
  }
}

function compileVariable(name: string, scope: Scope | null): Evaluator {
  if (name === "") return (input) => (isOuterWrapper(input) ? input[0] : input);
  if (name === "$") return (_input, _frame, runtime) => runtime.root;
  // A builtin passed as a value (`$map(xs, $string)`) takes the reference's signature rules.
  if (builtins[name] && !inScope(scope, name)) throw new UnsupportedConstruct(`$${name} as a value`);
  return (_input, frame, runtime) => {
    for (let current: Frame | null = frame; current; current = current.parent) {
      if (current.vars.has(name)) return current.vars.get(name);
    }
    return runtime.bindings[name];
  };
}

interface CompiledStep {
  evaluate: Evaluator;
  filters: ((input: unknown, frame: Frame, runtime: Runtime) => unknown)[];
}

function compilePath(node: AstNode, scope: Scope | null): Evaluator {
  const steps = node.steps ?? [];
  if (node.keepSingletonArray) throw new UnsupportedConstruct("[] on a path");
  if (
    steps.some(
      (step, index) =>
        step.type === "sort" ||
        step.type === "wildcard" ||
        step.type === "descendant" ||
        step.type === "parent" ||
        (index === 0 && step.consarray),
    )
  ) {
    throw new UnsupportedConstruct("sort, wildcard, descendant or parent steps");
  }
  const compiled: CompiledStep[] = steps.map((step) => ({
    evaluate: compileNode({ ...step, stages: undefined }, scope),
    filters: (step.stages ?? []).map((stage) => compileStage(stage, scope)),
  }));
  const absolute = steps[0]?.type === "variable";

  const general = (inputSequence: unknown[], from: number, frame: Frame, runtime: Runtime): unknown => {
    let current = inputSequence;
    let result: unknown[] | undefined;
    for (let index = from; index < compiled.length; index += 1) {
      result = evaluateStep(compiled[index]!, current, frame, runtime, index === compiled.length - 1);
      if (result.length === 0) break;
      current = result;
    }
    return result;
  };

  // Fast path: a chain of plain field names over objects, the common case in mappings.
  const names = steps.every((step) => step.type === "name" && !step.stages && !step.predicate)
    ? steps.map((step) => String(step.value))
    : null;
  if (names && !absolute && names.length <= 2 && !names.includes("__proto__")) {
    const [first, second] = names as [string, string | undefined];
    const readFirst = fieldReader(first);
    const readSecond = second === undefined ? readFirst : fieldReader(second);
    if (second === undefined) {
      return (input, frame, runtime) => {
        if (input === null || typeof input !== "object") return undefined;
        if (Array.isArray(input)) return collapse(general(input, 0, frame, runtime));
        return readFirst(input);
      };
    }
    return (input, frame, runtime) => {
      if (input === null || typeof input !== "object") return undefined;
      if (Array.isArray(input)) return collapse(general(input, 0, frame, runtime));
      const middle = readFirst(input);
      if (middle === null || typeof middle !== "object") return undefined;
      if (Array.isArray(middle)) return collapse(general(middle, 1, frame, runtime));
      return readSecond(middle);
    };
  }
  if (names && !absolute) {
    const count = names.length;
    return (input, frame, runtime) => {
      if (Array.isArray(input)) return collapse(general(input, 0, frame, runtime));
      let value: unknown = input;
      for (let index = 0; index < count; index += 1) {
        if (value === null || typeof value !== "object") return undefined;
        if (Array.isArray(value)) return collapse(general(value, index, frame, runtime));
        const key = names[index]!;
        const next: unknown = (value as Record<string, unknown>)[key];
        if (next === undefined || typeof next === "function" || (key === "__proto__" && !Object.hasOwn(value, key)))
          return undefined;
        value = next;
      }
      return value;
    };
  }
  return (input, frame, runtime) =>
    collapse(general(Array.isArray(input) && !absolute ? input : sequence(input), 0, frame, runtime));
}

function evaluateStep(
  step: CompiledStep,
  input: unknown[],
  frame: Frame,
  runtime: Runtime,
  lastStep: boolean,
): unknown[] {
  const results = sequence();
  for (let index = 0; index < input.length; index += 1) {
    runtime.tick();
    let result = step.evaluate(input[index], frame, runtime);
    for (const filter of step.filters) result = filter(result, frame, runtime);
    if (result !== undefined) results.push(result);
  }
  if (lastStep && results.length === 1 && Array.isArray(results[0]) && !isSequence(results[0])) return results[0];
  const flattened = sequence();
  for (const result of results) {
    if (!Array.isArray(result) || isConstructed(result)) flattened.push(result);
    else for (const value of result) flattened.push(value);
  }
  return flattened;
}

/** A `[predicate]` stage: numeric index (negative from the end) or a condition per item. */
function compileStage(
  stage: { type: string; expr: AstNode },
  scope: Scope | null,
): (input: unknown, frame: Frame, runtime: Runtime) => unknown {
  if (stage.type !== "filter") throw new UnsupportedConstruct(`stage ${stage.type}`);
  const predicate = stage.expr;
  if (predicate.type === "number") {
    const wanted = Math.floor(Number(predicate.value));
    return (input) => {
      const items = Array.isArray(input) ? input : sequence(input);
      const item = items[wanted < 0 ? items.length + wanted : wanted];
      if (item === undefined) return sequence();
      return Array.isArray(item) ? item : sequence(item);
    };
  }
  const condition = compileNode(predicate, scope);
  return (input, frame, runtime) => {
    const items = Array.isArray(input) ? input : sequence(input);
    const results = sequence();
    for (let index = 0; index < items.length; index += 1) {
      runtime.tick();
      const item = items[index];
      let verdict = condition(item, frame, runtime);
      if (isNumeric(verdict)) verdict = [verdict];
      if (isArrayOfNumbers(verdict)) {
        for (const position of verdict) {
          let at = Math.floor(position);
          if (at < 0) at = items.length + at;
          if (at === index) results.push(item);
        }
      } else if (toBoolean(verdict)) {
        results.push(item);
      }
    }
    return results;
  };
}

function compileBinary(node: AstNode, scope: Scope | null): Evaluator {
  const op = String(node.value);
  const lhs = compileNode(node.lhs as AstNode, scope);
  const rhs = compileNode(node.rhs!, scope);
  const text = printNode(node);
  const withToken = (details: ConstructorParameters<typeof ExpressionError>[0]) => {
    const error = new ExpressionError({ ...details, token: op, position: node.position });
    error.subExpression = text;
    return error;
  };
  switch (op) {
    case "and":
      return (input, frame, runtime) =>
        (toBoolean(lhs(input, frame, runtime)) ?? false) && (toBoolean(rhs(input, frame, runtime)) ?? false);
    case "or":
      return (input, frame, runtime) =>
        (toBoolean(lhs(input, frame, runtime)) ?? false) || (toBoolean(rhs(input, frame, runtime)) ?? false);
    case "+":
    case "-":
    case "*":
    case "/":
    case "%":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        if (left !== undefined && !isNumeric(left)) throw withToken({ code: "T2001", value: left });
        if (right !== undefined && !isNumeric(right)) throw withToken({ code: "T2002", value: right });
        if (left === undefined || right === undefined) return undefined;
        switch (op) {
          case "+":
            return left + right;
          case "-":
            return left - right;
          case "*":
            return left * right;
          case "/":
            return left / right;
          default:
            return left % right;
        }
      };
    case "=":
    case "!=":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        if (left === undefined || right === undefined) return false;
        return op === "=" ? deepEqual(left, right) : !deepEqual(left, right);
      };
    case "<":
    case "<=":
    case ">":
    case ">=":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        const leftType = typeof left;
        const rightType = typeof right;
        const comparable = (type: string) => type === "undefined" || type === "string" || type === "number";
        if (!comparable(leftType) || !comparable(rightType)) {
          throw withToken({ code: "T2010", value: !(leftType === "string" || leftType === "number") ? left : right });
        }
        if (left === undefined || right === undefined) return undefined;
        if (leftType !== rightType) throw withToken({ code: "T2009", value: left, value2: right });
        const a = left as number;
        const b = right as number;
        return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
      };
    case "&":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        return (
          (left === undefined ? "" : toJsonataString(left)!) + (right === undefined ? "" : toJsonataString(right)!)
        );
      };
    case "in":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        if (left === undefined || right === undefined) return false;
        return (Array.isArray(right) ? right : [right]).some((item) => item === left);
      };
    default:
      throw new UnsupportedConstruct(`operator ${op}`);
  }
}

function compileUnary(node: AstNode, scope: Scope | null): Evaluator {
  if (node.value === "-") {
    const operand = compileNode(node.expression!, scope);
    return (input, frame, runtime) => {
      const value = operand(input, frame, runtime);
      if (value === undefined) return undefined;
      if (isNumeric(value)) return -value;
      const error = new ExpressionError({ code: "D1002", value, token: "-", position: node.position });
      error.subExpression = printNode(node);
      throw error;
    };
  }
  if (node.value === "[") {
    const items = (node.expressions ?? []).map((item) => ({
      nested: item.value === "[" && item.type === "unary",
      evaluate: compileNode(item, scope),
    }));
    const constructed = node.consarray === true;
    return (input, frame, runtime) => {
      const result: unknown[] = [];
      for (const item of items) {
        const value = item.evaluate(input, frame, runtime);
        if (value === undefined) continue;
        // As the reference's append: a nested constructor stays whole, other arrays are spliced in.
        if (item.nested || !Array.isArray(value)) result.push(value);
        else for (const member of value) result.push(member);
      }
      return constructed ? markConstructed(result) : result;
    };
  }
  if (node.value === "{") return compileObject(node, scope);
  throw new UnsupportedConstruct(`unary ${String(node.value)}`);
}

/**
 * Object constructor. Over a single input item it builds one object; over a sequence JSONata
 * groups items by key, which only the reference evaluator does here.
 */
function compileObject(node: AstNode, scope: Scope | null): Evaluator {
  const pairs = (node.lhs as [AstNode, AstNode][]).map(([key, value]) => {
    if (key.type !== "string") throw new UnsupportedConstruct("computed object keys");
    const name = String(key.value);
    return { key: name, special: name === "__proto__", value: compileNode(value, scope) };
  });
  const keys = new Set(pairs.map((pair) => pair.key));
  if (keys.size !== pairs.length) throw new UnsupportedConstruct("duplicate object keys");
  return (input, frame, runtime) => {
    if (Array.isArray(input)) {
      if (input.length !== 1) throw new NeedsReferenceEvaluator("object constructor over a sequence (grouping)");
      input = input[0];
    }
    const result: Record<string, unknown> = {};
    for (const pair of pairs) {
      const value = pair.value(input, frame, runtime);
      if (value === undefined) continue;
      if (pair.special) defineMember(result, pair.key, value);
      else result[pair.key] = value;
    }
    return result;
  };
}

function compileCall(node: AstNode, scope: Scope | null): Evaluator {
  const procedure = node.procedure!;
  // A `?` placeholder (partial application) is an unsupported "operator" node, so it falls back here.
  const args = (node.arguments ?? []).map((argument) => compileNode(argument, scope));
  if (procedure.type !== "variable") throw new UnsupportedConstruct("call of a computed function");
  const name = String(procedure.value);
  const builtin = builtins[name];
  if (builtin && !inScope(scope, name)) {
    if (args.length < builtin.minArgs || args.length > builtin.maxArgs)
      throw new UnsupportedConstruct(`$${name} with ${args.length} argument(s)`);
    const count = args.length;
    return (input, frame, runtime) => {
      const values = new Array<unknown>(count);
      let missing = false;
      for (let index = 0; index < count; index += 1) {
        const value = args[index]!(input, frame, runtime);
        if (value === undefined) missing = true;
        values[index] = value;
      }
      // JSONata drops undefined arguments before matching the signature, which can shift the
      // others into different parameters: those calls take the reference's exact rules.
      if (missing && count > 1) throw new NeedsReferenceEvaluator(`$${name} with an undefined argument`);
      if (runtime.bindings !== NO_BINDINGS && Object.hasOwn(runtime.bindings, name))
        return invokeValue(runtime.bindings[name], values, node);
      try {
        return builtin.call(values, runtime);
      } catch (error) {
        // Signature errors depend on JSONata's context-argument rules: let the reference say which.
        if (error instanceof ExpressionError && (error.code === "T0410" || error.code === "T0412"))
          throw new NeedsReferenceEvaluator(`$${name} signature error`);
        throw error;
      }
    };
  }
  if (!inScope(scope, name)) throw new UnsupportedConstruct(`function $${name}`);
  const callee = compileVariable(name, scope);
  return (input, frame, runtime) =>
    invokeValue(
      callee(input, frame, runtime),
      args.map((argument) => argument(input, frame, runtime)),
      node,
    );
}

function invokeValue(callee: unknown, args: unknown[], node: AstNode): unknown {
  if (!isFunctionValue(callee))
    throw new ExpressionError({ code: "T1006", token: printNode(node.procedure), position: node.position });
  return callee.invoke(args);
}

function compileLambda(node: AstNode, scope: Scope | null): Evaluator {
  // The parser wraps tail calls in thunks for its trampoline; evaluating the call directly is
  // equivalent, with deep recursion bounded by the depth budget instead.
  // Like the reference's trampoline, a tail call's result is not collapsed.
  if (node.thunk) return compileBase(node.body!, scope);
  const params = (node.arguments ?? []).map((param) => String(param.value));
  const lambdaScope: Scope = { names: new Set(params), parent: scope };
  const body = compileNode(node.body!, lambdaScope);
  return (input, frame, runtime): FunctionValue => ({
    arity: params.length,
    invoke: (args) => {
      runtime.depth += 1;
      if (runtime.depth > runtime.maxDepth) throw new ExpressionError({ code: "U1001", value: runtime.maxDepth });
      runtime.tick();
      try {
        const vars = new Map<string, unknown>();
        params.forEach((param, index) => vars.set(param, args[index]));
        return body(input, { vars, parent: frame }, runtime);
      } finally {
        runtime.depth -= 1;
      }
    },
  });
}

const fieldReaders = new Map<string, (value: unknown) => unknown>();
const MAX_GENERATED_READERS = 10_000;

/**
 * A reader of one field, generated per field name (as ajv generates its validators) so each
 * gets its own inline cache: one shared `value[key]` goes megamorphic across a flow's fields
 * (measured: the engine bench ~8% faster). Falls back to that closure where code generation is
 * forbidden (a browser page's CSP).
 */
function fieldReader(key: string): (value: unknown) => unknown {
  const generated = fieldReaders.get(key);
  if (generated) return generated;
  const plain = (value: unknown) => {
    const next = (value as Record<string, unknown>)[key];
    return typeof next === "function" ? undefined : next;
  };
  // Bounded: field names come from flows, but nothing should grow without limit.
  if (fieldReaders.size >= MAX_GENERATED_READERS) return plain;
  try {
    const reader = new Function(
      "value",
      `const next = value[${JSON.stringify(key)}]; return typeof next === "function" ? undefined : next;`,
    ) as (value: unknown) => unknown;
    fieldReaders.set(key, reader);
    return reader;
  } catch {
    return plain;
  }
}
