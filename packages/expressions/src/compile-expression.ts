import jsonata from "jsonata";
import {
  compileAst,
  NeedsReferenceEvaluator,
  NO_BINDINGS,
  UnsupportedConstruct,
  type Evaluator,
  type Frame,
  type Runtime,
} from "./compile-ast";
import { decimalFunctions } from "./decimal-functions";
import { ExpressionError, fromReferenceError } from "./expression-error";
import { visitNodes } from "./analysis/resolve-paths";
import type { AstNode } from "./jsonata-ast";
import { outerWrapper } from "./sequence";

export interface CompileOptions {
  /** Deepest nesting of function calls (recursion) before U1001. Default 200. */
  maxDepth?: number;
  /** Wall-clock budget of one evaluation before U1002. Default 1000 ms. */
  timeoutMs?: number;
  /** Clock for $now and $millis (ms since epoch); read once per evaluation. Default Date.now. */
  clock?: () => number;
  /** Skip the compiler and always use the reference evaluator (for comparisons). */
  referenceOnly?: boolean;
}

export interface CompiledExpression {
  readonly source: string;
  /** `compiled`: JavaScript closures; `reference`: the jsonata library evaluates it. */
  readonly mode: "compiled" | "reference";
  /** Why the expression runs on the reference evaluator, when it does. */
  readonly fallbackReason: string | undefined;
  readonly ast: AstNode;
  evaluate(input: unknown, bindings?: Record<string, unknown>): unknown;
}

const EMPTY_FRAME: Frame = Object.freeze({ vars: new Map<string, unknown>(), parent: null });
const TICKS_PER_CLOCK_CHECK = 1024;

/**
 * Parses with the reference parser (so syntax and error messages are JSONata's), then compiles
 * the AST to closures once. Constructs the compiler does not handle run on the reference
 * evaluator instead; both paths give the same results (see the differential tests).
 */
export function compile(source: string, options: CompileOptions = {}): CompiledExpression {
  let reference: jsonata.Expression;
  try {
    reference = jsonata(source);
  } catch (error) {
    throw fromReferenceError(error).locate(source);
  }
  // The reference knows Meterflow's own functions too, so both paths agree on them.
  for (const [name, fn] of Object.entries(decimalFunctions)) reference.registerFunction(name, fn.call);
  const ast = reference.ast() as unknown as AstNode;
  const maxDepth = options.maxDepth ?? 200;
  const timeoutMs = options.timeoutMs ?? 1000;
  const clock = options.clock ?? Date.now;
  const evaluateWithReference = referenceEvaluator(source, reference, maxDepth, timeoutMs, clock);

  let compiled: Evaluator | undefined;
  let fallbackReason: string | undefined = options.referenceOnly ? "referenceOnly option" : undefined;
  if (!options.referenceOnly) {
    try {
      compiled = compileAst(ast);
    } catch (error) {
      if (!(error instanceof UnsupportedConstruct)) throw error;
      fallbackReason = error.construct;
    }
  }
  if (!compiled) return { source, mode: "reference", fallbackReason, ast, evaluate: evaluateWithReference };

  const evaluator = compiled;
  const needsFrame = usesVariables(ast);
  const state = new EvaluationRuntime(maxDepth, timeoutMs, clock);
  return {
    source,
    mode: "compiled",
    fallbackReason: undefined,
    ast,
    evaluate(input, bindings = NO_BINDINGS) {
      // One state object per compiled expression, reset per call: evaluation is synchronous and
      // never re-enters the same expression, and this keeps the hot path allocation-free.
      const runtime = state.reset(input, bindings);
      const frame: Frame = needsFrame ? { vars: new Map(), parent: null } : EMPTY_FRAME;
      try {
        return evaluator(Array.isArray(input) ? outerWrapper(input) : input, frame, runtime);
      } catch (error) {
        if (error instanceof NeedsReferenceEvaluator) return evaluateWithReference(input, bindings);
        if (error instanceof RangeError) throw new ExpressionError({ code: "U1001", value: maxDepth }).locate(source);
        if (error instanceof ExpressionError) throw error.locate(source, error.subExpression);
        throw error;
      }
    },
  };
}

/** Why a source does not parse, or undefined when it does: for validators that report, not throw. */
export function syntaxProblem(source: string): string | undefined {
  try {
    jsonata(source);
    return undefined;
  } catch (error) {
    return fromReferenceError(error).locate(source).message;
  }
}

/** Per-evaluation state; the clock and the deadline are read only when something needs them. */
class EvaluationRuntime implements Runtime {
  root: unknown = undefined;
  bindings: Record<string, unknown> = NO_BINDINGS;
  depth = 0;
  private ticks = 0;
  private deadline = 0;
  private now: number | undefined;
  constructor(
    readonly maxDepth: number,
    private readonly timeoutMs: number,
    private readonly clock: () => number,
  ) {}

  reset(root: unknown, bindings: Record<string, unknown>): this {
    this.root = root;
    this.bindings = bindings;
    this.depth = 0;
    this.ticks = 0;
    this.now = undefined;
    return this;
  }

  nowMillis(): number {
    return (this.now ??= this.clock());
  }

  tick(): void {
    if (this.ticks === 0) this.deadline = Date.now() + this.timeoutMs;
    this.ticks += 1;
    if (this.ticks % TICKS_PER_CLOCK_CHECK === 0 && Date.now() > this.deadline)
      throw new ExpressionError({ code: "U1002", value: this.timeoutMs });
  }
}

function referenceEvaluator(
  source: string,
  reference: jsonata.Expression,
  maxDepth: number,
  timeoutMs: number,
  clock: () => number,
) {
  // Budgets through the reference's evaluation hooks: depth of nested evaluations and time.
  let depth = 0;
  let deadline = 0;
  let calls = 0;
  reference.assign("__evaluate_entry", () => {
    depth += 1;
    calls += 1;
    if (depth > maxDepth * 10)
      throw {
        code: "U1001",
        message: `Stack overflow: the expression nests deeper than the depth budget of ${maxDepth}`,
      };
    if (calls % TICKS_PER_CLOCK_CHECK === 0 && Date.now() > deadline)
      throw { code: "U1002", message: `Time budget of ${timeoutMs} ms exceeded: the expression was stopped` };
  });
  reference.assign("__evaluate_exit", () => {
    depth -= 1;
  });
  return (input: unknown, bindings: Record<string, unknown> = {}): unknown => {
    depth = 0;
    calls = 0;
    deadline = Date.now() + timeoutMs;
    const now = clock();
    try {
      return reference.evaluate(input, {
        ...bindings,
        now: bindings.now ?? (() => new Date(now).toISOString()),
        millis: bindings.millis ?? (() => now),
      });
    } catch (error) {
      if (error instanceof RangeError) throw new ExpressionError({ code: "U1001", value: maxDepth }).locate(source);
      throw fromReferenceError(error).locate(source);
    }
  };
}

/** Whether evaluation needs a variable frame (blocks, bindings, lambdas). */
function usesVariables(ast: AstNode): boolean {
  let found = false;
  visitNodes(ast, (node) => {
    if (node.type === "bind" || node.type === "block" || node.type === "lambda") found = true;
  });
  return found;
}
