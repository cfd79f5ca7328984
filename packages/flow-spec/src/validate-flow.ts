import type { z } from "zod";
import { FLOW_API_VERSION, flowDocument, looseFlowDocument, type FlowDocument } from "./flow-document";
import { isNodeType, nodeTypes, nodeTypeSpec, type InputPort, type OutputPort } from "./node-types";
import { jsonPath, type Problem } from "./problems";

export type ReferenceKind = "eventSchema" | "canonicalType" | "endpoint";

export interface ValidateOptions {
  /** Says whether a referenced schema, canonical type or endpoint exists; unknown ones become problems. */
  referenceExists?: (kind: ReferenceKind, ref: string) => boolean;
  /** Says why an expression does not parse (undefined when it does); problems land at the field's path. */
  checkExpression?: (source: string) => string | undefined;
}

export type ValidationResult =
  | { ok: true; document: FlowDocument; problems: Problem[] }
  | { ok: false; document?: undefined; problems: Problem[] };

interface ResolvedNode {
  id: string;
  index: number;
  inputs: InputPort[];
  outputs: OutputPort[];
  /** False when the node's type or config is broken, so its ports cannot be told. */
  portsKnown: boolean;
  isSource: boolean;
}

/**
 * Checks a flow document and returns every problem found, each with a JSON path.
 * Never throws: any JSON value is a valid argument. `ok` is true when there are no errors
 * (warnings, such as an unconnected input, do not block saving).
 */
export function validateFlow(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const problems: Problem[] = [];
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    problems.push({
      path: "$",
      code: "invalid_document",
      severity: "error",
      message: "A flow document must be a JSON object",
    });
    return { ok: false, problems };
  }
  const apiVersion = (input as Record<string, unknown>).apiVersion;
  if (apiVersion !== FLOW_API_VERSION) {
    problems.push({
      path: "$.apiVersion",
      code: "unsupported_api_version",
      severity: "error",
      message:
        apiVersion === undefined
          ? `apiVersion is missing; expected "${FLOW_API_VERSION}"`
          : `apiVersion ${JSON.stringify(apiVersion)} is not supported; expected "${FLOW_API_VERSION}"`,
    });
  }

  const loose = looseFlowDocument.safeParse(input);
  if (!loose.success) {
    for (const issue of loose.error.issues) {
      if (issue.path[0] === "apiVersion") continue;
      problems.push({
        path: jsonPath(issue.path),
        code: "invalid_field",
        severity: "error",
        message: issueMessage(issue, input),
      });
    }
    // Without well-formed node and edge lists there is no graph to check.
    if (
      !Array.isArray((input as Record<string, unknown>).nodes) ||
      !Array.isArray((input as Record<string, unknown>).edges)
    ) {
      return { ok: false, problems };
    }
  }

  const rawNodes = (input as { nodes: unknown[] }).nodes;
  const rawEdges = (input as { edges: unknown[] }).edges;
  const nodes = new Map<string, ResolvedNode>();

  rawNodes.forEach((raw, index) => {
    if (raw === null || typeof raw !== "object") return;
    const node = raw as Record<string, unknown>;
    const id = typeof node.id === "string" ? node.id : undefined;
    const path = ["nodes", index] as const;
    if (id !== undefined && nodes.has(id)) {
      problems.push({
        path: jsonPath([...path, "id"]),
        code: "duplicate_node_id",
        severity: "error",
        message: `Node id "${id}" is used more than once`,
        nodeId: id,
      });
      return;
    }
    let inputs: InputPort[] = [];
    let outputs: OutputPort[] = [];
    let isSource = false;
    let portsKnown = false;
    if (typeof node.type === "string" && !isNodeType(node.type)) {
      problems.push({
        path: jsonPath([...path, "type"]),
        code: "unknown_node_type",
        severity: "error",
        message: `Unknown node type "${node.type}"; the palette has: ${nodeTypes.join(", ")}`,
        ...(id ? { nodeId: id } : {}),
      });
    } else if (isNodeType(node.type)) {
      const spec = nodeTypeSpec(node.type);
      isSource = spec.category === "source";
      if (node.config === undefined || node.config === null) {
        problems.push({
          path: jsonPath([...path, "config"]),
          code: "missing_config",
          severity: "error",
          message: `${spec.label} node needs a config`,
          ...(id ? { nodeId: id } : {}),
        });
      } else {
        const parsed = (spec.config as z.ZodType).safeParse(node.config);
        if (parsed.success) {
          inputs = spec.inputs(parsed.data as never);
          outputs = spec.outputs(parsed.data as never);
          portsKnown = true;
          for (const field of options.checkExpression ? spec.expressions(parsed.data as never) : []) {
            const failure = options.checkExpression!(field.source);
            if (failure) {
              problems.push({
                path: jsonPath([...path, "config", ...field.path]),
                code: "invalid_expression",
                severity: "error",
                message: `Expression ${JSON.stringify(field.source)} does not parse: ${failure}`,
                ...(id ? { nodeId: id } : {}),
              });
            }
          }
        } else {
          for (const issue of parsed.error.issues) {
            const missing = issue.code === "invalid_type" && valueAt(node.config, issue.path) === undefined;
            problems.push({
              path: jsonPath([...path, "config", ...issue.path]),
              code: missing ? "missing_config" : "invalid_config",
              severity: "error",
              message: `${spec.label}: ${issueMessage(issue, node.config)}`,
              ...(id ? { nodeId: id } : {}),
            });
          }
        }
      }
    }
    if (id !== undefined) nodes.set(id, { id, index, inputs, outputs, portsKnown, isSource });
  });

  const edgeIds = new Set<string>();
  const connections = new Set<string>();
  const incoming = new Map<string, Set<string>>();
  const successors = new Map<string, Set<string>>();
  rawEdges.forEach((raw, index) => {
    if (raw === null || typeof raw !== "object") return;
    const edge = raw as {
      id?: unknown;
      source?: { node?: unknown; port?: unknown };
      target?: { node?: unknown; port?: unknown };
    };
    const edgeId = typeof edge.id === "string" ? edge.id : undefined;
    const tag = edgeId ? { edgeId } : {};
    if (edgeId !== undefined) {
      if (edgeIds.has(edgeId)) {
        problems.push({
          path: jsonPath(["edges", index, "id"]),
          code: "duplicate_edge_id",
          severity: "error",
          message: `Edge id "${edgeId}" is used more than once`,
          edgeId,
        });
      }
      edgeIds.add(edgeId);
    }
    const sourceId = typeof edge.source?.node === "string" ? edge.source.node : undefined;
    const targetId = typeof edge.target?.node === "string" ? edge.target.node : undefined;
    const sourcePort = typeof edge.source?.port === "string" ? edge.source.port : undefined;
    const targetPort = typeof edge.target?.port === "string" ? edge.target.port : undefined;
    if (sourceId === undefined || targetId === undefined || sourcePort === undefined || targetPort === undefined)
      return;
    const source = nodes.get(sourceId);
    const target = nodes.get(targetId);
    if (!source) {
      problems.push({
        path: jsonPath(["edges", index, "source", "node"]),
        code: "dangling_edge",
        severity: "error",
        message: `Edge starts at node "${sourceId}", which does not exist`,
        ...tag,
      });
    }
    if (!target) {
      problems.push({
        path: jsonPath(["edges", index, "target", "node"]),
        code: "dangling_edge",
        severity: "error",
        message: `Edge ends at node "${targetId}", which does not exist`,
        ...tag,
      });
    }
    if (!source || !target) return;

    const output = source.outputs.find((port) => port.name === sourcePort);
    const inputPort = target.inputs.find((port) => port.name === targetPort);
    if (!output && source.portsKnown) {
      problems.push({
        path: jsonPath(["edges", index, "source", "port"]),
        code: "unknown_port",
        severity: "error",
        message: source.outputs.length
          ? `Node "${sourceId}" has no output port "${sourcePort}"; its outputs are: ${source.outputs.map((p) => p.name).join(", ")}`
          : `Node "${sourceId}" has no outputs`,
        ...tag,
      });
    }
    if (!inputPort && target.portsKnown) {
      problems.push({
        path: jsonPath(["edges", index, "target", "port"]),
        code: "unknown_port",
        severity: "error",
        message: target.inputs.length
          ? `Node "${targetId}" has no input port "${targetPort}"; its inputs are: ${target.inputs.map((p) => p.name).join(", ")}`
          : `Node "${targetId}" is a source and takes no inputs`,
        ...tag,
      });
    }
    if (output && inputPort && !inputPort.accepts.includes(output.carries)) {
      problems.push({
        path: jsonPath(["edges", index]),
        code: "incompatible_ports",
        severity: "error",
        message: `Output "${sourceId}.${sourcePort}" carries ${output.carries} items, but input "${targetId}.${targetPort}" accepts only ${inputPort.accepts.join(", ")}`,
        ...tag,
      });
    }
    const connection = `${sourceId}\u0000${sourcePort}\u0000${targetId}\u0000${targetPort}`;
    if (connections.has(connection)) {
      problems.push({
        path: jsonPath(["edges", index]),
        code: "duplicate_edge",
        severity: "error",
        message: `"${sourceId}.${sourcePort}" is already connected to "${targetId}.${targetPort}"`,
        ...tag,
      });
    }
    connections.add(connection);
    if (!incoming.has(targetId)) incoming.set(targetId, new Set());
    incoming.get(targetId)!.add(sourceId);
    if (!successors.has(sourceId)) successors.set(sourceId, new Set());
    successors.get(sourceId)!.add(targetId);
  });

  for (const cycle of findCycles(nodes, successors)) {
    const first = nodes.get(cycle[0]!)!;
    problems.push({
      path: jsonPath(["nodes", first.index]),
      code: "cycle",
      severity: "error",
      message: `Flows cannot loop: ${[...cycle, cycle[0]].join(" -> ")}`,
      nodeId: first.id,
    });
  }

  if (loose.success) checkReferences(loose.data, options, problems);

  if (nodes.size > 0 && ![...nodes.values()].some((node) => node.isSource)) {
    problems.push({
      path: "$.nodes",
      code: "no_source",
      severity: "warning",
      message: "The flow has no Source node, so no events reach it",
    });
  }
  for (const node of nodes.values()) {
    if (!node.isSource && !incoming.has(node.id)) {
      problems.push({
        path: jsonPath(["nodes", node.index]),
        code: "unconnected_input",
        severity: "warning",
        message: `Node "${node.id}" has no incoming connection, so it never runs`,
        nodeId: node.id,
      });
    }
  }

  if (problems.some((problem) => problem.severity === "error")) return { ok: false, problems };
  const strict = flowDocument.safeParse(input);
  if (!strict.success) {
    // Every strict-schema failure should already be reported above; never return ok on a doc that does not parse.
    for (const issue of strict.error.issues) {
      problems.push({ path: jsonPath(issue.path), code: "invalid_field", severity: "error", message: issue.message });
    }
    return { ok: false, problems };
  }
  return { ok: true, document: strict.data, problems };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function issueMessage(issue: z.core.$ZodIssue, root: unknown): string {
  const field = issue.path.length ? `"${issue.path.join(".")}"` : "value";
  if (issue.code === "invalid_type" && valueAt(root, issue.path) === undefined) return `required ${field} is missing`;
  if (issue.code === "unrecognized_keys") return `unknown setting(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
  return issue.path.length ? `${field}: ${issue.message}` : issue.message;
}

/** Each strongly connected component with more than one node (or a self-loop) is a cycle. */
function findCycles(nodes: Map<string, ResolvedNode>, successors: Map<string, Set<string>>): string[][] {
  const indexOf = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;

  // Iterative Tarjan, so a long chain of nodes cannot overflow the call stack.
  for (const start of nodes.keys()) {
    if (indexOf.has(start)) continue;
    const work: { id: string; next: Iterator<string> }[] = [];
    const visit = (id: string) => {
      indexOf.set(id, counter);
      lowLink.set(id, counter);
      counter += 1;
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: (successors.get(id) ?? new Set<string>()).values() });
    };
    visit(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const step = frame.next.next();
      if (!step.done) {
        const next = step.value;
        if (!indexOf.has(next)) visit(next);
        else if (onStack.has(next)) lowLink.set(frame.id, Math.min(lowLink.get(frame.id)!, indexOf.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.id, Math.min(lowLink.get(parent.id)!, lowLink.get(frame.id)!));
      if (lowLink.get(frame.id) === indexOf.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = successors.get(frame.id)?.has(frame.id) ?? false;
        if (component.length > 1 || selfLoop) cycles.push(component.reverse());
      }
    }
  }
  return cycles;
}

function checkReferences(document: z.infer<typeof looseFlowDocument>, options: ValidateOptions, problems: Problem[]) {
  const declared = {
    eventSchema: new Set(document.references.eventSchemas),
    canonicalType: new Set(document.references.canonicalTypes),
    endpoint: new Set(document.references.endpoints),
  };
  const listName = referenceLists;
  const label = { eventSchema: "event schema", canonicalType: "canonical type", endpoint: "endpoint" } as const;

  if (options.referenceExists) {
    for (const kind of ["eventSchema", "canonicalType", "endpoint"] as const) {
      document.references[listName[kind]].forEach((ref, index) => {
        if (!options.referenceExists!(kind, ref)) {
          problems.push({
            path: jsonPath(["references", listName[kind], index]),
            code: "unknown_reference",
            severity: "error",
            message: `Unknown ${label[kind]} "${ref}"`,
          });
        }
      });
    }
  }

  document.nodes.forEach((node, index) => {
    for (const { kind, field, ref } of nodeReferences(node)) {
      if (declared[kind].has(ref)) continue;
      problems.push({
        path: jsonPath(["nodes", index, "config", field]),
        code: "undeclared_reference",
        severity: "error",
        message: `${label[kind][0]!.toUpperCase()}${label[kind].slice(1)} "${ref}" is not declared in references.${listName[kind]}`,
        nodeId: node.id,
      });
    }
  });
}

export const referenceLists = {
  eventSchema: "eventSchemas",
  canonicalType: "canonicalTypes",
  endpoint: "endpoints",
} as const;

/** What a node's config refers to (event schema, canonical type, endpoint), which the document must declare. */
export function nodeReferences(node: {
  type: string;
  config?: unknown;
}): { kind: ReferenceKind; field: string; ref: string }[] {
  const config = node.config as Record<string, unknown> | null | undefined;
  if (!config || typeof config !== "object") return [];
  const uses: { kind: ReferenceKind; field: string; ref: unknown }[] = [];
  if (node.type === "validate") uses.push({ kind: "eventSchema", field: "schema", ref: config.schema });
  if (node.type === "map") uses.push({ kind: "canonicalType", field: "target", ref: config.target });
  if (node.type === "post" || node.type === "notify")
    uses.push({ kind: "endpoint", field: "endpoint", ref: config.endpoint });
  return uses.filter((use): use is { kind: ReferenceKind; field: string; ref: string } => typeof use.ref === "string");
}
