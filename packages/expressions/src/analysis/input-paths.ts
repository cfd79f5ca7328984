import type { AstNode } from "../jsonata-ast";
import { parseExpression } from "../parse-expression";
import { resolvePaths } from "./resolve-paths";

/** The input field paths an expression reads, dotted (`data.tenant`), in first-seen order. */
export function inputPaths(expression: string | { ast: AstNode }): string[] {
  return resolvePaths(parseExpression(expression)).reads.map((path) => path.join("."));
}
