import {
  isNodeType,
  nodeReferences,
  nodeTypeSpec,
  referenceLists,
  type FlowDocument,
  type FlowNode,
  type NodeType,
} from "@meterflow/flow-spec";

/** The editor's state: the document and its history, so every edit can be undone and redone. */
export interface EditorState {
  document: FlowDocument;
  past: FlowDocument[];
  future: FlowDocument[];
}

export interface Connection {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export type Edit =
  | { kind: "addNode"; nodeType: NodeType; position: { x: number; y: number } }
  | { kind: "move"; positions: Record<string, { x: number; y: number }> }
  | { kind: "connect"; connection: Connection }
  | { kind: "remove"; nodeIds: string[]; edgeIds: string[] }
  | { kind: "updateNode"; nodeId: string; name?: string; config?: unknown }
  /** Pasted or duplicated nodes with the edges between them; ids are made unique, positions offset. */
  | { kind: "insert"; fragment: Fragment; offset: { x: number; y: number } };

/** Nodes and the edges among them, as copied to the clipboard (also between flows). */
export interface Fragment {
  nodes: FlowNode[];
  edges: FlowDocument["edges"];
}

const FRAGMENT_MARKER = "meterflow/fragment@1";

/** The selected nodes and the edges between them. */
export function fragmentOf(document: FlowDocument, nodeIds: readonly string[]): Fragment {
  const ids = new Set(nodeIds);
  return {
    nodes: document.nodes.filter((node) => ids.has(node.id)),
    edges: document.edges.filter((edge) => ids.has(edge.source.node) && ids.has(edge.target.node)),
  };
}

export function fragmentToText(fragment: Fragment): string {
  return JSON.stringify({ kind: FRAGMENT_MARKER, ...fragment });
}

/** A fragment from clipboard text, or undefined when the text is something else. */
export function fragmentFromText(text: string): Fragment | undefined {
  try {
    const parsed = JSON.parse(text) as { kind?: unknown; nodes?: unknown; edges?: unknown };
    if (parsed.kind !== FRAGMENT_MARKER || !Array.isArray(parsed.nodes) || !Array.isArray(parsed.edges))
      return undefined;
    const nodes = parsed.nodes.filter(
      (node): node is FlowNode =>
        isNodeType((node as { type?: unknown }).type) && typeof (node as { id?: unknown }).id === "string",
    );
    return { nodes, edges: parsed.edges as Fragment["edges"] };
  } catch {
    return undefined;
  }
}

const HISTORY_LIMIT = 200;

export function editorState(document: FlowDocument): EditorState {
  return { document, past: [], future: [] };
}

/** Applies an edit as one undoable step; an edit that changes nothing adds no step. */
export function applyEdit(state: EditorState, edit: Edit): EditorState {
  const edited = editDocument(state.document, edit);
  const document = edited === state.document ? edited : withDeclaredReferences(state.document, edited);
  if (document === state.document) return state;
  return { document, past: [...state.past.slice(-HISTORY_LIMIT + 1), state.document], future: [] };
}

export function undo(state: EditorState): EditorState {
  const previous = state.past.at(-1);
  return previous
    ? { document: previous, past: state.past.slice(0, -1), future: [state.document, ...state.future] }
    : state;
}

export function redo(state: EditorState): EditorState {
  const next = state.future[0];
  return next ? { document: next, past: [...state.past, state.document], future: state.future.slice(1) } : state;
}

function editDocument(document: FlowDocument, edit: Edit): FlowDocument {
  switch (edit.kind) {
    case "addNode": {
      const spec = nodeTypeSpec(edit.nodeType);
      const node = {
        id: freshNodeId(document, edit.nodeType),
        type: edit.nodeType,
        name: spec.label,
        position: snapped(edit.position),
        config: spec.defaultConfig(),
      } as FlowNode;
      return { ...document, nodes: [...document.nodes, node] };
    }
    case "move": {
      let changed = false;
      const nodes = document.nodes.map((node) => {
        const moved = edit.positions[node.id];
        if (!moved) return node;
        const position = snapped(moved);
        if (position.x === node.position.x && position.y === node.position.y) return node;
        changed = true;
        return { ...node, position };
      });
      return changed ? { ...document, nodes } : document;
    }
    case "connect": {
      if (connectionProblem(document, edit.connection)) return document;
      const { source, sourcePort, target, targetPort } = edit.connection;
      const edge = {
        id: freshEdgeId(document, `e-${source}-${sourcePort}-${target}`),
        source: { node: source, port: sourcePort },
        target: { node: target, port: targetPort },
      };
      return { ...document, edges: [...document.edges, edge] };
    }
    case "remove": {
      const nodeIds = new Set(edit.nodeIds);
      const edgeIds = new Set(edit.edgeIds);
      const nodes = document.nodes.filter((node) => !nodeIds.has(node.id));
      const edges = document.edges.filter(
        (edge) => !edgeIds.has(edge.id) && !nodeIds.has(edge.source.node) && !nodeIds.has(edge.target.node),
      );
      return nodes.length === document.nodes.length && edges.length === document.edges.length
        ? document
        : { ...document, nodes, edges };
    }
    case "insert": {
      if (edit.fragment.nodes.length === 0) return document;
      const renamed = new Map<string, string>();
      const nodes = [...document.nodes];
      for (const node of edit.fragment.nodes) {
        const id = freshNodeId({ ...document, nodes }, node.id.replace(/-\d+$/, "") as NodeType);
        renamed.set(node.id, id);
        nodes.push({
          ...structuredClone(node),
          id,
          position: snapped({ x: node.position.x + edit.offset.x, y: node.position.y + edit.offset.y }),
        });
      }
      const edges = [...document.edges];
      for (const edge of edit.fragment.edges) {
        const source = renamed.get(edge.source.node);
        const target = renamed.get(edge.target.node);
        if (!source || !target) continue;
        edges.push({
          id: freshEdgeId({ ...document, edges }, `e-${source}-${edge.source.port}-${target}`),
          source: { node: source, port: edge.source.port },
          target: { node: target, port: edge.target.port },
        });
      }
      return { ...document, nodes, edges };
    }
    case "updateNode": {
      const index = document.nodes.findIndex((node) => node.id === edit.nodeId);
      if (index < 0) return document;
      const current = document.nodes[index]!;
      const updated = {
        ...current,
        ...(edit.name !== undefined ? { name: edit.name } : {}),
        ...(edit.config !== undefined ? { config: edit.config } : {}),
      } as FlowNode;
      if (JSON.stringify(updated) === JSON.stringify(current)) return document;
      const nodes = [...document.nodes];
      nodes[index] = updated;
      // Ports can change with the config (e.g. Route outputs): edges to ports that vanished go too.
      return {
        ...document,
        nodes,
        edges: document.edges.filter(
          (edge) =>
            portExists(nodes, edge.source.node, "out", edge.source.port) &&
            portExists(nodes, edge.target.node, "in", edge.target.port),
        ),
      };
    }
  }
}

/** Why a connection is refused, in words a user can act on; undefined when it is fine. */
export function connectionProblem(document: FlowDocument, connection: Connection): string | undefined {
  const source = document.nodes.find((node) => node.id === connection.source);
  const target = document.nodes.find((node) => node.id === connection.target);
  if (!source || !target) return "Both ends must be nodes of this flow";
  if (source.id === target.id) return "A node cannot feed itself";
  const output = nodeTypeSpec(source.type)
    .outputs(source.config as never)
    .find((port) => port.name === connection.sourcePort);
  const input = nodeTypeSpec(target.type)
    .inputs(target.config as never)
    .find((port) => port.name === connection.targetPort);
  if (!output) return `${label(source)} has no output "${connection.sourcePort}"`;
  if (!input) return `${label(target)} has no input "${connection.targetPort}"`;
  if (!input.accepts.includes(output.carries)) {
    return `${label(source)} → ${output.name} carries ${output.carries} items; ${label(target)} → ${input.name} accepts ${input.accepts.join(" or ")}`;
  }
  if (
    document.edges.some(
      (edge) =>
        edge.source.node === source.id &&
        edge.source.port === output.name &&
        edge.target.node === target.id &&
        edge.target.port === input.name,
    )
  ) {
    return "These ports are already connected";
  }
  if (reaches(document, target.id, source.id))
    return `Connecting ${label(source)} to ${label(target)} would make a cycle: ${label(target)} already feeds ${label(source)}`;
  return undefined;
}

function reaches(document: FlowDocument, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const edge of document.edges) if (edge.source.node === id) stack.push(edge.target.node);
  }
  return false;
}

function portExists(nodes: readonly FlowNode[], nodeId: string, side: "in" | "out", port: string): boolean {
  const node = nodes.find((candidate) => candidate.id === nodeId);
  if (!node) return false;
  const spec = nodeTypeSpec(node.type);
  return (side === "in" ? spec.inputs(node.config as never) : spec.outputs(node.config as never)).some(
    (candidate) => candidate.name === port,
  );
}

function label(node: FlowNode): string {
  return `"${node.name ?? node.id}"`;
}

function snapped(position: { x: number; y: number }) {
  return { x: Math.round(position.x / 10) * 10, y: Math.round(position.y / 10) * 10 };
}

/** `<base>-<n>` with the first free n; the base is the node type (dots become dashes) or a pasted node's id. */
function freshNodeId(document: FlowDocument, type: NodeType | string): string {
  const base = type.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 56) || "node";
  const taken = new Set(document.nodes.map((node) => node.id));
  for (let n = 1; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function freshEdgeId(document: FlowDocument, base: string): string {
  const taken = new Set(document.edges.map((edge) => edge.id));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * Keeps the declared references in step with the nodes, as a user would expect: what a node now
 * refers to (a Validate's schema, a Map's target, a Post's endpoint) is declared, and what nodes
 * stopped referring to is dropped. References no node ever used (declared by hand) stay.
 */
function withDeclaredReferences(before: FlowDocument, document: FlowDocument): FlowDocument {
  const usedBy = (doc: FlowDocument) =>
    new Set(
      doc.nodes.flatMap((node) => nodeReferences(node).map(({ kind, ref }) => `${referenceLists[kind]}\u0000${ref}`)),
    );
  const usedBefore = usedBy(before);
  const usedNow = usedBy(document);
  const lists = ["eventSchemas", "canonicalTypes", "endpoints"] as const;
  const references = { ...document.references };
  for (const list of lists) {
    const kept = references[list].filter(
      (ref) => usedNow.has(`${list}\u0000${ref}`) || !usedBefore.has(`${list}\u0000${ref}`),
    );
    const added = [...usedNow]
      .filter((entry) => entry.startsWith(`${list}\u0000`))
      .map((entry) => entry.slice(list.length + 1))
      .filter((ref) => !kept.includes(ref));
    references[list] = [...kept, ...added];
  }
  const unchanged = lists.every(
    (list) =>
      references[list].length === document.references[list].length &&
      references[list].every((ref, index) => ref === document.references[list][index]),
  );
  return unchanged ? document : { ...document, references };
}
