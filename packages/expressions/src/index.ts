export { compile, type CompiledExpression, type CompileOptions } from "./compile-expression";
export { ExpressionError } from "./expression-error";
export type { AstNode } from "./jsonata-ast";
