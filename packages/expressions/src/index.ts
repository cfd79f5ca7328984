export {
  compile,
  syntaxProblem,
  type CompiledExpression,
  type CompileOptions,
  type EvaluateOptions,
} from "./compile-expression";
export { createExpressionBudget, type ExpressionBudget, type ExpressionBudgetOptions } from "./expression-budget";
export { ExpressionError } from "./expression-error";
export type { AstNode } from "./jsonata-ast";
export { check, type ExpressionProblem } from "./analysis/check-expression";
export { fieldLineage, type FieldLineage, type LineageKind } from "./analysis/field-lineage";
export { inputPaths } from "./analysis/input-paths";
export { toBoolean } from "./value-semantics";
export { functionCatalog } from "./function-catalog";
