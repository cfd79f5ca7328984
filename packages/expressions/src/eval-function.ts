import type { BuiltinDefinition } from "./builtin-functions";
import type { Evaluator } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { isSequence, outerWrapper } from "./sequence";

/** Budget errors pass through $eval unchanged: they stop the whole evaluation, not the text's. */
function isBudgetError(error: unknown): boolean {
  return (
    error instanceof ExpressionError && (error.code.startsWith("U") || error.code === "D2014" || error.code === "D2015")
  );
}

export const evalFunctions: Record<string, BuiltinDefinition> = {
  eval: {
    signature: "<sx?:x>",
    arity: 2,
    implementation: ([source, focus], runtime, input, frame) => {
      if (source === undefined) return undefined;
      let context = input;
      if (focus !== undefined) context = Array.isArray(focus) && !isSequence(focus) ? outerWrapper(focus) : focus;
      let evaluator: Evaluator;
      try {
        evaluator = runtime.compileEval(source as string);
      } catch (error) {
        if (isBudgetError(error)) throw error;
        throw new ExpressionError({ code: "D3120", value: (error as Error).message });
      }
      const savedBase = runtime.depthBase;
      const savedCall = runtime.callDepth;
      runtime.depthBase = savedCall;
      try {
        return evaluator(context, frame, runtime);
      } catch (error) {
        if (isBudgetError(error) || !(error instanceof ExpressionError)) throw error;
        throw new ExpressionError({ code: "D3121", value: error.message });
      } finally {
        runtime.depthBase = savedBase;
        runtime.callDepth = savedCall;
      }
    },
  },
};
