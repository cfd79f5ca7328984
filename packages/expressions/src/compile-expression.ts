import { compileNode } from "./compile-ast";
import { analyseScope, type CompileContext } from "./compile-context";
import { type EvaluationLimits, type Evaluator, Frame, Runtime } from "./evaluation-runtime";
import type { ExpressionBudget } from "./expression-budget";
import { SharedBudget } from "./expression-budget";
import { ExpressionError } from "./expression-error";
import type { AstNode } from "./jsonata-ast";
import { parseExpression } from "./parse-expression";
import { isSequence, outerWrapper } from "./sequence";

export interface CompileOptions {
  /** Deepest nesting of evaluation (expression nodes, as JSONata counts them) before U1001. Default 1000. */
  maxDepth?: number;
  /** Wall-clock budget of one evaluation before U1002. Default 1000 ms. */
  timeoutMs?: number;
  /** Longest string one evaluation may build, in characters, before U1003. Default 10,000,000. */
  maxStringLength?: number;
  /** Most items one evaluation may put in an array or sequence, before D2015. Default 1,000,000. */
  maxArrayLength?: number;
  /** Clock for $now and $millis (ms since epoch); read once per evaluation. Default Date.now. */
  clock?: () => number;
}

export interface EvaluateOptions {
  /** A budget shared with other evaluations (see createExpressionBudget): the request's total. */
  budget?: ExpressionBudget;
}

export interface CompiledExpression {
  readonly source: string;
  readonly ast: AstNode;
  /** Evaluates synchronously; fails with an ExpressionError (JSONata's code, or a U budget code). */
  evaluate(input: unknown, bindings?: Record<string, unknown>, options?: EvaluateOptions): unknown;
}

const NO_BINDINGS: Record<string, unknown> = Object.freeze({});
const EMPTY_ROOT = new Frame(undefined);
const MAX_CACHED_EVAL_SOURCES = 64;

function limitsOf(options: CompileOptions): EvaluationLimits {
  return {
    maxDepth: options.maxDepth ?? 1000,
    timeoutMs: options.timeoutMs ?? 1000,
    maxStringLength: options.maxStringLength ?? 10_000_000,
    maxArrayLength: options.maxArrayLength ?? 1_000_000,
    clock: options.clock ?? Date.now,
  };
}

function compileTree(ast: AstNode, maxDepth: number, dynamicBase: boolean): Evaluator {
  const context: CompileContext = { scope: analyseScope(ast), maxDepth, depth: 1, dynamicBase };
  return compileNode(ast, context);
}

/** An error the JavaScript engine raised while evaluating, as a coded expression error. */
function fromEngineError(error: unknown, limits: EvaluationLimits): ExpressionError {
  if (error instanceof ExpressionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError) {
    if (/call stack/i.test(message)) return new ExpressionError({ code: "U1001", value: limits.maxDepth });
    if (/string length/i.test(message)) return new ExpressionError({ code: "U1003", value: limits.maxStringLength });
    if (/array length/i.test(message)) return new ExpressionError({ code: "D2015", value: limits.maxArrayLength });
  }
  return new ExpressionError({ code: "U1000", detail: message });
}

/**
 * Parses with jsonata's parser (so syntax and syntax errors are JSONata's) and compiles the AST
 * to closures once. Every construct compiles; one that cannot (a regex needing backtracking)
 * fails here, with an ExpressionError, rather than when it runs.
 */
export function compile(source: string, options: CompileOptions = {}): CompiledExpression {
  const ast = parseExpression(source);
  const limits = limitsOf(options);
  let evaluator: Evaluator;
  try {
    evaluator = compileTree(ast, limits.maxDepth, false);
  } catch (error) {
    throw fromEngineError(error, limits).locate(source);
  }
  const needsRootFrame = analyseScope(ast).bindsAtRoot;

  const evalCache = new Map<string, Evaluator>();
  const compileEval = (text: string): Evaluator => {
    let compiled = evalCache.get(text);
    if (compiled) return compiled;
    compiled = compileTree(parseExpression(text), limits.maxDepth, true);
    if (evalCache.size >= MAX_CACHED_EVAL_SOURCES) evalCache.clear();
    evalCache.set(text, compiled);
    return compiled;
  };
  // One runtime per compiled expression, reused: evaluation is synchronous, and this keeps the
  // hot path free of allocations. A re-entrant call (a binding calling back in) gets its own.
  const shared = new Runtime(limits, compileEval);

  return {
    source,
    ast,
    evaluate(input, bindings = NO_BINDINGS, evaluateOptions) {
      const runtime = shared.active ? new Runtime(limits, compileEval) : shared;
      const budget = evaluateOptions?.budget;
      if (budget !== undefined && !(budget instanceof SharedBudget))
        throw new TypeError("An expression budget must come from createExpressionBudget()");
      try {
        runtime.start(input, bindings, budget);
      } catch (error) {
        throw fromEngineError(error, limits).locate(source);
      }
      const frame = needsRootFrame ? new Frame(undefined) : EMPTY_ROOT;
      try {
        return evaluator(Array.isArray(input) && !isSequence(input) ? outerWrapper(input) : input, frame, runtime);
      } catch (error) {
        throw fromEngineError(error, limits).locate(source);
      } finally {
        runtime.finish();
      }
    },
  };
}

/** Why a source does not compile, or undefined when it does: for validators that report, not throw. */
export function syntaxProblem(source: string): string | undefined {
  try {
    compile(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
