/** A `[predicate]` on a path step, or `#$i` (index binding) in a tuple stream. */
export interface AstStage {
  type: "filter" | "index";
  expr?: AstNode;
  value?: string;
  position?: number;
}

/** Where `%` (parent) finds its value: a tuple variable named by `label`. */
export interface AncestorSlot {
  label: string;
  level: number;
  index: number;
}

/** The parts of the jsonata 2.x parser's AST (`jsonata(src).ast()`) the compiler reads. */
export interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  stages?: AstStage[];
  predicate?: AstStage[];
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
  signature?: { definition: string };
  keepArray?: boolean;
  consarray?: boolean;
  keepSingletonArray?: boolean;
  tuple?: boolean;
  focus?: string;
  index?: string;
  ancestor?: AncestorSlot;
  slot?: AncestorSlot;
  group?: { lhs: [AstNode, AstNode][]; position?: number };
  terms?: { descending: boolean; expression: AstNode }[];
  pattern?: AstNode;
  update?: AstNode;
  delete?: AstNode;
  thunk?: boolean;
}

function printSteps(node: AstNode): string {
  return (node.stages ?? node.predicate ?? [])
    .map((stage) => (stage.type === "index" ? `#$${stage.value}` : `[${printNode(stage.expr)}]`))
    .join("");
}

/** Source-like text of a node, for error messages that name the failing sub-expression. */
export function printNode(node: AstNode | undefined): string {
  if (!node) return "";
  const stages = printSteps(node);
  switch (node.type) {
    case "name":
      return `${/^[A-Za-z_$][\w$]*$/.test(String(node.value)) ? String(node.value) : `\`${String(node.value)}\``}${stages}`;
    case "string":
      return JSON.stringify(node.value) + stages;
    case "number":
    case "value":
      return String(node.value) + stages;
    case "regex":
      return String(node.value);
    case "variable":
      return `$${String(node.value)}${stages}`;
    case "wildcard":
      return `*${stages}`;
    case "descendant":
      return `**${stages}`;
    case "parent":
      return "%";
    case "path":
      return (node.steps ?? []).map(printNode).join(".") + stages;
    case "sort":
      return `^(${(node.terms ?? []).map((term) => `${term.descending ? ">" : "<"}${printNode(term.expression)}`).join(", ")})`;
    case "binary":
      return `${printNode(node.lhs as AstNode)} ${String(node.value)} ${printNode(node.rhs as AstNode)}`;
    case "apply":
      return `${printNode(node.lhs as AstNode)} ~> ${printNode(node.rhs as AstNode)}`;
    case "unary":
      if (node.value === "-") return `-${printNode(node.expression)}`;
      if (node.value === "[") return `[${(node.expressions ?? []).map(printNode).join(", ")}]${stages}`;
      return `{${((node.lhs ?? []) as [AstNode, AstNode][]).map(([key, value]) => `${printNode(key)}: ${printNode(value)}`).join(", ")}}`;
    case "function":
    case "partial":
      return `${printNode(node.procedure)}(${(node.arguments ?? []).map(printNode).join(", ")})${stages}`;
    case "operator":
      return String(node.value);
    case "lambda":
      if (node.thunk) return printNode(node.body);
      return `function(${(node.arguments ?? []).map(printNode).join(", ")}) { ${printNode(node.body)} }`;
    case "condition":
      return `${printNode(node.condition)} ? ${printNode(node.then)}${node.else ? ` : ${printNode(node.else)}` : ""}`;
    case "block":
      return `(${(node.expressions ?? []).map(printNode).join("; ")})${stages}`;
    case "bind":
      return `${printNode(node.lhs as AstNode)} := ${printNode(node.rhs as AstNode)}`;
    case "transform":
      return `| ${printNode(node.pattern)} | ${printNode(node.update)}${node.delete ? `, ${printNode(node.delete)}` : ""} |`;
    default:
      return node.type;
  }
}
