import { ExpressionError } from "./expression-error";

/**
 * A time budget shared by many evaluations (a test run, a batch): each evaluation given it is
 * charged the time it took, and once the total passes `timeMs` the running evaluation stops, and
 * every later one fails at once, with U1004.
 */
export interface ExpressionBudget {
  /** The total evaluation time allowed, in milliseconds. */
  readonly timeMs: number;
  /** Evaluation time charged so far, in milliseconds. */
  readonly spentMs: number;
  /** Evaluations charged so far (finished or stopped). */
  readonly evaluations: number;
  /** Whether the budget has run out. */
  readonly exhausted: boolean;
  /** Milliseconds left, never below zero. */
  remainingMs(): number;
}

export interface ExpressionBudgetOptions {
  /** The total evaluation time allowed, in milliseconds (> 0). */
  timeMs: number;
}

/** The budget's bookkeeping, used by evaluations; callers only read an ExpressionBudget. */
export class SharedBudget implements ExpressionBudget {
  spentMs = 0;
  evaluations = 0;

  constructor(readonly timeMs: number) {}

  get exhausted(): boolean {
    return this.spentMs >= this.timeMs;
  }

  remainingMs(): number {
    return Math.max(0, this.timeMs - this.spentMs);
  }

  charge(elapsedMs: number): void {
    this.spentMs += elapsedMs;
    this.evaluations += 1;
  }

  exhaustedError(): ExpressionError {
    return new ExpressionError({ code: "U1004", value: this.timeMs });
  }
}

/**
 * Creates a budget to pass to many `evaluate(input, bindings, { budget })` calls, so that a whole
 * request, not only each evaluation, is bounded in time.
 */
export function createExpressionBudget(options: ExpressionBudgetOptions): ExpressionBudget {
  if (!(typeof options.timeMs === "number" && options.timeMs > 0 && Number.isFinite(options.timeMs)))
    throw new RangeError(`An expression budget needs a positive, finite timeMs, got ${String(options.timeMs)}`);
  return new SharedBudget(options.timeMs);
}
