import jsonata from "jsonata";
import { fromParserError } from "./expression-error";
import type { AstNode } from "./jsonata-ast";

/**
 * Parses with jsonata's own parser (2.x, synchronous): syntax, and syntax errors, are exactly
 * JSONata's. Only the parser is used; evaluation is Meterflow's compiler.
 */
export function parseExpression(source: string | { ast: AstNode }): AstNode {
  if (typeof source !== "string") return source.ast;
  try {
    return jsonata(source).ast() as unknown as AstNode;
  } catch (error) {
    throw fromParserError(error).locate(source);
  }
}
