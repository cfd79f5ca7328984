import { compileNode } from "./compile-ast";
import { type CompileContext, childContext } from "./compile-context";
import type { Evaluator, Runtime } from "./evaluation-runtime";
import { ExpressionError, type ExpressionErrorDetails } from "./expression-error";
import { type AstNode, printNode } from "./jsonata-ast";
import { sequence } from "./sequence";
import { deepEqual, isNumeric, toBoolean, toJsonataString } from "./value-semantics";

/** JSONata caps a range at ten million items, whatever the array budget. */
const MAX_RANGE = 1e7;

export function compileBinary(node: AstNode, context: CompileContext): Evaluator {
  const op = String(node.value);
  const inner = childContext(context);
  const lhs = compileNode(node.lhs as AstNode, inner);
  const rhs = compileNode(node.rhs as AstNode, inner);
  const fail = (details: ExpressionErrorDetails) => {
    const error = new ExpressionError({ ...details, token: op, position: node.position });
    error.subExpression = printNode(node);
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
    case "%": {
      const arithmetic = arithmeticOf(op);
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        if (left !== undefined && !isNumericOrFail(left, fail)) throw fail({ code: "T2001", value: left });
        if (right !== undefined && !isNumericOrFail(right, fail)) throw fail({ code: "T2002", value: right });
        if (left === undefined || right === undefined) return undefined;
        return arithmetic(left as number, right as number);
      };
    }
    case "=":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        return left !== undefined && right !== undefined && deepEqual(left, right);
      };
    case "!=":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        return left !== undefined && right !== undefined && !deepEqual(left, right);
      };
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const compare = comparisonOf(op);
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        const leftType = typeof left;
        const rightType = typeof right;
        const leftComparable = leftType === "undefined" || leftType === "string" || leftType === "number";
        const rightComparable = rightType === "undefined" || rightType === "string" || rightType === "number";
        if (!leftComparable || !rightComparable)
          throw fail({ code: "T2010", value: !(leftType === "string" || leftType === "number") ? left : right });
        if (left === undefined || right === undefined) return undefined;
        if (leftType !== rightType) throw fail({ code: "T2009", value: left, value2: right });
        return compare(left as number, right as number);
      };
    }
    case "&":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        const text =
          (left === undefined ? "" : toJsonataString(left)!) + (right === undefined ? "" : toJsonataString(right)!);
        return runtime.checkString(text);
      };
    case "in":
      return (input, frame, runtime) => {
        const left = lhs(input, frame, runtime);
        const right = rhs(input, frame, runtime);
        if (left === undefined || right === undefined) return false;
        if (!Array.isArray(right)) return right === left;
        for (const item of right) if (item === left) return true;
        return false;
      };
    case "..":
      return (input, frame, runtime) => range(lhs(input, frame, runtime), rhs(input, frame, runtime), runtime, fail);
    default:
      throw new ExpressionError({ code: "S0204", token: op, position: node.position });
  }
}

/** Infinity counts as a number here only to be reported as out of range (D1001). */
function isNumericOrFail(value: unknown, fail: (details: ExpressionErrorDetails) => ExpressionError): boolean {
  try {
    return isNumeric(value);
  } catch (error) {
    if (error instanceof ExpressionError) throw fail(error.details);
    throw error;
  }
}

function arithmeticOf(op: string): (a: number, b: number) => number {
  switch (op) {
    case "+":
      return (a, b) => a + b;
    case "-":
      return (a, b) => a - b;
    case "*":
      return (a, b) => a * b;
    case "/":
      return (a, b) => a / b;
    default:
      return (a, b) => a % b;
  }
}

function comparisonOf(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case "<":
      return (a, b) => a < b;
    case "<=":
      return (a, b) => a <= b;
    case ">":
      return (a, b) => a > b;
    default:
      return (a, b) => a >= b;
  }
}

function range(
  left: unknown,
  right: unknown,
  runtime: Runtime,
  fail: (details: ExpressionErrorDetails) => ExpressionError,
): unknown[] | undefined {
  if (left !== undefined && !Number.isInteger(left)) throw fail({ code: "T2003", value: left });
  if (right !== undefined && !Number.isInteger(right)) throw fail({ code: "T2004", value: right });
  if (left === undefined || right === undefined) return undefined;
  const from = left as number;
  const to = right as number;
  if (from > to) return undefined;
  const size = to - from + 1;
  if (size > MAX_RANGE) throw fail({ code: "D2014", value: size, limit: MAX_RANGE });
  // Checked before allocating: the array budget bounds memory, not only the result.
  runtime.checkArrayLength(size);
  runtime.chargeItems(size);
  const result = sequence();
  for (let value = from; value <= to; value += 1) result.push(value);
  return result;
}

export function compileUnaryMinus(node: AstNode, context: CompileContext): Evaluator {
  const operand = compileNode(node.expression!, childContext(context));
  return (input, frame, runtime) => {
    const value = operand(input, frame, runtime);
    if (value === undefined) return undefined;
    if (isNumeric(value)) return -value;
    const error = new ExpressionError({ code: "D1002", value, token: "-", position: node.position });
    error.subExpression = printNode(node);
    throw error;
  };
}
