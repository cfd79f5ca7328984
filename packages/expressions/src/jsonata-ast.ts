/** The parts of the reference parser's AST (`jsonata(src).ast()`) the compiler reads. */
export interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  stages?: { type: string; expr: AstNode }[];
  predicate?: { type: string; expr: AstNode }[];
  lhs?: AstNode | [AstNode, AstNode][];
  rhs?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  procedure?: AstNode;
  arguments?: AstNode[];
  body?: AstNode;
  keepArray?: boolean;
  consarray?: boolean;
  keepSingletonArray?: boolean;
  tuple?: boolean;
  focus?: string;
  index?: string;
  group?: unknown;
  thunk?: boolean;
}

/** Source-like text of a node, for error messages that name the failing sub-expression. */
export function printNode(node: AstNode | undefined): string {
  if (!node) return "";
  const stages = (node.stages ?? node.predicate ?? []).map((stage) => `[${printNode(stage.expr)}]`).join("");
  switch (node.type) {
    case "name":
      return `${/^[A-Za-z_$][\w$]*$/.test(String(node.value)) ? String(node.value) : `\`${String(node.value)}\``}${stages}`;
    case "string":
      return JSON.stringify(node.value) + stages;
    case "number":
    case "value":
      return String(node.value) + stages;
    case "variable":
      return `$${String(node.value)}${stages}`;
    case "path":
      return (node.steps ?? []).map(printNode).join(".") + stages;
    case "binary":
      return `${printNode(node.lhs as AstNode)} ${String(node.value)} ${printNode(node.rhs)}`;
    case "unary":
      if (node.value === "-") return `-${printNode(node.expression)}`;
      if (node.value === "[") return `[${(node.expressions ?? []).map(printNode).join(", ")}]${stages}`;
      return `{${((node.lhs ?? []) as [AstNode, AstNode][]).map(([key, value]) => `${printNode(key)}: ${printNode(value)}`).join(", ")}}`;
    case "function":
      return `${printNode(node.procedure)}(${(node.arguments ?? []).map(printNode).join(", ")})${stages}`;
    case "lambda":
      return `function(${(node.arguments ?? []).map(printNode).join(", ")}) { ${printNode(node.body)} }`;
    case "condition":
      return `${printNode(node.condition)} ? ${printNode(node.then)}${node.else ? ` : ${printNode(node.else)}` : ""}`;
    case "block":
      return `(${(node.expressions ?? []).map(printNode).join("; ")})${stages}`;
    case "bind":
      return `${printNode(node.lhs as AstNode)} := ${printNode(node.rhs)}`;
    default:
      return node.type;
  }
}
