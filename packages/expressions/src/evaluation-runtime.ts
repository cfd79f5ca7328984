import type { SharedBudget } from "./expression-budget";
import { ExpressionError } from "./expression-error";

/** What a lookup returns for a name no frame binds. */
export const UNBOUND: unique symbol = Symbol("unbound");

/** Variables bound by blocks, lambdas and tuple streams; a lookup walks outward. */
export class Frame {
  private vars: Map<string, unknown> | undefined = undefined;

  constructor(readonly parent: Frame | undefined) {}

  bind(name: string, value: unknown): void {
    (this.vars ??= new Map()).set(name, value);
  }

  lookup(name: string): unknown {
    const vars = this.vars;
    if (vars !== undefined && vars.has(name)) return vars.get(name);
    return this.parent === undefined ? UNBOUND : this.parent.lookup(name);
  }
}

export interface EvaluationLimits {
  /** Deepest nesting of evaluation (expression nodes, as JSONata counts them) before U1001. */
  readonly maxDepth: number;
  /** Wall-clock budget of one evaluation before U1002. */
  readonly timeoutMs: number;
  /** Longest string an evaluation may build before U1003. */
  readonly maxStringLength: number;
  /** Most items an evaluation may put in one array or sequence before D2015. */
  readonly maxArrayLength: number;
  /** Clock for $now and $millis (ms since epoch); read once per evaluation. */
  readonly clock: () => number;
}

export type Evaluator = (input: unknown, frame: Frame, runtime: Runtime) => unknown;

/** Compiles the text given to $eval, with the same options as the expression that calls it. */
export type EvalCompiler = (source: string) => Evaluator;

/** Units of work (loop iterations, calls) between two reads of the clock. */
const WORK_PER_CLOCK_CHECK = 16;
/** Building this many characters, or array items, counts as one unit of work. */
const CHARACTERS_PER_UNIT = 1 << 16;
const ITEMS_PER_UNIT = 1 << 12;

/**
 * The state of one evaluation: the root input, the caller's bindings, and the budgets. Depth is
 * counted as the reference counts nested evaluations: each lambda body runs `depthBase` deep,
 * the depth of the call that invoked it, and its nodes add their static depth to that.
 */
export class Runtime {
  root: unknown = undefined;
  bindings: Record<string, unknown> = {};
  /** Depth of the call whose body is running; 0 outside lambdas. */
  depthBase = 0;
  /** Depth of the innermost call being applied: a lambda it invokes starts there. */
  callDepth = 0;
  budget: SharedBudget | undefined = undefined;
  active = false;
  private untilClockCheck = WORK_PER_CLOCK_CHECK;
  private deadline = Number.POSITIVE_INFINITY;
  private budgetDeadline = Number.POSITIVE_INFINITY;
  private startedAt = 0;
  private now: number | undefined = undefined;

  constructor(
    readonly limits: EvaluationLimits,
    readonly compileEval: EvalCompiler,
  ) {}

  start(root: unknown, bindings: Record<string, unknown>, budget: SharedBudget | undefined): this {
    if (budget?.exhausted) {
      budget.charge(0);
      throw budget.exhaustedError();
    }
    this.root = root;
    this.bindings = bindings;
    this.depthBase = 0;
    this.callDepth = 0;
    this.untilClockCheck = WORK_PER_CLOCK_CHECK;
    this.now = undefined;
    this.deadline = Number.POSITIVE_INFINITY;
    this.budgetDeadline = Number.POSITIVE_INFINITY;
    this.budget = budget;
    if (budget !== undefined) {
      this.startedAt = performance.now();
      this.budgetDeadline = this.startedAt + budget.remainingMs();
      this.deadline = this.startedAt + this.limits.timeoutMs;
    }
    this.active = true;
    return this;
  }

  finish(): void {
    this.active = false;
    if (this.budget !== undefined) this.budget.charge(performance.now() - this.startedAt);
  }

  nowMillis(): number {
    return (this.now ??= this.limits.clock());
  }

  /** Called in loops and at every lambda call, so a runaway evaluation meets its time budget. */
  tick(): void {
    if (--this.untilClockCheck <= 0) this.checkClock();
  }

  /** Counts heavier work (a large string or array built) towards the next clock check. */
  charge(units: number): void {
    this.untilClockCheck -= units;
    if (this.untilClockCheck <= 0) this.checkClock();
  }

  private checkClock(): void {
    this.untilClockCheck = WORK_PER_CLOCK_CHECK;
    const now = performance.now();
    if (now > this.budgetDeadline) throw this.budget!.exhaustedError();
    if (this.deadline === Number.POSITIVE_INFINITY) {
      // Without a shared budget the clock starts at the first check: evaluations too short to
      // reach it never read the clock at all.
      this.deadline = now + this.limits.timeoutMs;
      return;
    }
    if (now > this.deadline) throw new ExpressionError({ code: "U1002", value: this.limits.timeoutMs });
  }

  depthExceeded(): ExpressionError {
    return new ExpressionError({ code: "U1001", value: this.limits.maxDepth });
  }

  /** Fails the evaluation when a string it built is over the string budget. */
  checkString(text: string): string {
    this.checkStringLength(text.length);
    return text;
  }

  /** Fails before building a string of `length` characters that would be over the budget. */
  checkStringLength(length: number): void {
    if (length > this.limits.maxStringLength) throw this.stringTooLong();
    if (length >= CHARACTERS_PER_UNIT) this.charge(length / CHARACTERS_PER_UNIT);
  }

  stringTooLong(): ExpressionError {
    return new ExpressionError({ code: "U1003", value: this.limits.maxStringLength });
  }

  /** Fails before (or after) building an array or sequence of `length` items over the budget. */
  checkArrayLength(length: number): void {
    if (length > this.limits.maxArrayLength) throw this.arrayTooLong();
  }

  /** Counts `count` items copied or created in one go towards the next clock check. */
  chargeItems(count: number): void {
    if (count >= ITEMS_PER_UNIT) this.charge(count / ITEMS_PER_UNIT);
  }

  arrayTooLong(): ExpressionError {
    return new ExpressionError({ code: "D2015", value: this.limits.maxArrayLength });
  }
}
