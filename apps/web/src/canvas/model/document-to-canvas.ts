import type { Edge, Node } from "@xyflow/react";
import {
  nodeTypeSpec,
  type FlowDocument,
  type FlowNode,
  type InputPort,
  type OutputPort,
  type Problem,
} from "@meterflow/flow-spec";

/** Counts from a test run, per node. */
export interface NodeRunCounts {
  received: number;
  emitted: Record<string, number>;
}

export interface FlowNodeData extends Record<string, unknown> {
  flowNode: FlowNode;
  title: string;
  typeLabel: string;
  category: string;
  inputs: InputPort[];
  outputs: OutputPort[];
  problems: Problem[];
  run?: NodeRunCounts;
}

export type CanvasNode = Node<FlowNodeData, "flowNode">;
export type CanvasEdge = Edge<{ sourcePort: string; targetPort: string }>;

/** The flow document is the truth; React Flow's nodes and edges are derived from it. */
export function documentToCanvas(
  document: FlowDocument,
  problems: readonly Problem[] = [],
  runCounts: ReadonlyMap<string, NodeRunCounts> = new Map(),
): { nodes: CanvasNode[]; edges: CanvasEdge[] } {
  const nodes = document.nodes.map((flowNode): CanvasNode => {
    const spec = nodeTypeSpec(flowNode.type);
    return {
      id: flowNode.id,
      type: "flowNode",
      position: { ...flowNode.position },
      data: {
        flowNode,
        title: flowNode.name ?? spec.label,
        typeLabel: spec.label,
        category: spec.category,
        inputs: spec.inputs(flowNode.config as never),
        outputs: spec.outputs(flowNode.config as never),
        problems: problems.filter((problem) => problem.nodeId === flowNode.id),
        ...(runCounts.has(flowNode.id) ? { run: runCounts.get(flowNode.id)! } : {}),
      },
    };
  });
  const edges = document.edges.map(
    (edge): CanvasEdge => ({
      id: edge.id,
      // After a test run, each edge shows how many items crossed it.
      ...(runCounts.has(edge.source.node)
        ? { label: String(runCounts.get(edge.source.node)!.emitted[edge.source.port] ?? 0) }
        : {}),
      source: edge.source.node,
      sourceHandle: edge.source.port,
      target: edge.target.node,
      targetHandle: edge.target.port,
      data: { sourcePort: edge.source.port, targetPort: edge.target.port },
    }),
  );
  return { nodes, edges };
}
