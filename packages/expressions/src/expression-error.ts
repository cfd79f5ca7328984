/** Messages by JSONata error code (S syntax, T type, D dynamic, U budget), from one table. */
const messages: Record<string, string> = {
  T0410: "Argument {{index}} of function {{token}} does not match the function signature",
  T0412: "Argument {{index}} of function {{token}} must be an array of {{type}}",
  T1006: "Attempted to invoke a non-function",
  T2001: "The left side of the {{token}} operator must evaluate to a number",
  T2002: "The right side of the {{token}} operator must evaluate to a number",
  T2009: "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type",
  T2010: "The expressions either side of operator {{token}} must evaluate to numeric or string values",
  D1001: "Number out of range: {{value}}",
  D1002: "Cannot negate a non-numeric value: {{value}}",
  D3001: "Attempting to invoke string function on Infinity or NaN",
  D3010: "Second argument of replace function cannot be an empty string",
  D3020: "Third argument of split function must evaluate to a positive number",
  D3030: "Unable to cast value to a number: {{value}}",
  D3050: "The second argument of reduce function must be a function with at least two arguments",
  D3110: "The timestamp {{value}} cannot be parsed as an ISO 8601 timestamp",
  U1001: "Stack overflow: the expression nests deeper than the depth budget of {{value}}",
  U1002: "Time budget of {{value}} ms exceeded: the expression was stopped",
  U1003: "Output budget exceeded: the expression built more than {{value}} items",
};

export interface ExpressionErrorDetails {
  code: string;
  position?: number;
  token?: string;
  value?: unknown;
  value2?: unknown;
  index?: number;
  type?: string;
}

/**
 * An error from compiling or evaluating an expression. `code` is JSONata's; the message names
 * the expression and, for runtime errors, the failing sub-expression.
 */
export class ExpressionError extends Error {
  readonly code: string;
  readonly position: number | undefined;
  readonly token: string | undefined;
  expression = "";
  subExpression: string | undefined;

  constructor(details: ExpressionErrorDetails, message?: string) {
    super(message ?? formatMessage(details));
    this.name = "ExpressionError";
    this.code = details.code;
    this.position = details.position;
    this.token = details.token;
  }

  /** Adds which expression (and which part of it) failed, once, at the outermost level. */
  locate(expression: string, subExpression?: string): this {
    if (this.expression) return this;
    this.expression = expression;
    this.subExpression = subExpression;
    const where = subExpression && subExpression !== expression ? ` in \`${subExpression}\`` : "";
    this.message = `${this.message}${where} (expression \`${expression}\`${this.position !== undefined ? `, position ${this.position}` : ""}; ${this.code})`;
    return this;
  }
}

function formatMessage(details: ExpressionErrorDetails): string {
  const template = messages[details.code] ?? `Expression error ${details.code}`;
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = (details as unknown as Record<string, unknown>)[key];
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

/** Converts an error thrown by the reference evaluator (a plain object) into an ExpressionError. */
export function fromReferenceError(error: unknown): ExpressionError {
  if (error instanceof ExpressionError) return error;
  const raw = (error ?? {}) as { code?: string; message?: string; position?: number; token?: string };
  const wrapped = new ExpressionError(
    { code: raw.code ?? "D0000", position: raw.position, token: raw.token },
    raw.message || formatMessage({ code: raw.code ?? "D0000" }),
  );
  return wrapped;
}
