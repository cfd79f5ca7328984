import type { FlowDocument } from "@meterflow/flow-spec";

const NODE_WIDTH = 200;
const NODE_HEIGHT = 110;

/**
 * Left-to-right layered layout with elkjs, loaded only when asked for (it is large). Ports keep
 * their order, so edges leave and enter where the node draws them.
 */
export async function autoLayout(document: FlowDocument): Promise<Record<string, { x: number; y: number }>> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const elk = new ELK();
  const graph = await elk.layout({
    id: "flow",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "80",
      "elk.spacing.nodeNode": "40",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
    },
    children: document.nodes.map((node) => ({ id: node.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: document.edges.map((edge) => ({ id: edge.id, sources: [edge.source.node], targets: [edge.target.node] })),
  });
  return Object.fromEntries(
    (graph.children ?? []).map((child) => [child.id, { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) }]),
  );
}
