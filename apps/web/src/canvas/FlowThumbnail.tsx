import { nodeTypeSpec, type FlowDocument } from "@meterflow/flow-spec";

const NODE_WIDTH = 200;
const NODE_HEIGHT = 90;

/** A picture of a flow's graph (nodes by category colour, edges as curves), for the templates gallery. */
export function FlowThumbnail({
  document,
  width = 280,
  height = 120,
}: {
  document: FlowDocument;
  width?: number;
  height?: number;
}) {
  if (document.nodes.length === 0) return null;
  const xs = document.nodes.map((node) => node.position.x);
  const ys = document.nodes.map((node) => node.position.y);
  const minX = Math.min(...xs) - 20;
  const minY = Math.min(...ys) - 20;
  const spanX = Math.max(...xs) + NODE_WIDTH + 20 - minX;
  const spanY = Math.max(...ys) + NODE_HEIGHT + 20 - minY;
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  return (
    <svg
      className="flow-thumbnail"
      viewBox={`${minX} ${minY} ${spanX} ${spanY}`}
      width={width}
      height={height}
      role="img"
      aria-label={`Graph of ${document.metadata.name}: ${document.nodes.length} nodes, ${document.edges.length} connections`}
    >
      {document.edges.map((edge) => {
        const from = byId.get(edge.source.node);
        const to = byId.get(edge.target.node);
        if (!from || !to) return null;
        const x1 = from.position.x + NODE_WIDTH;
        const y1 = from.position.y + NODE_HEIGHT / 2;
        const x2 = to.position.x;
        const y2 = to.position.y + NODE_HEIGHT / 2;
        return (
          <path
            key={edge.id}
            d={`M${x1},${y1} C${x1 + 60},${y1} ${x2 - 60},${y2} ${x2},${y2}`}
            className="thumbnail-edge"
          />
        );
      })}
      {document.nodes.map((node) => (
        <rect
          key={node.id}
          x={node.position.x}
          y={node.position.y}
          width={NODE_WIDTH}
          height={NODE_HEIGHT}
          rx={14}
          className={`thumbnail-node category-${nodeTypeSpec(node.type).category}`}
        />
      ))}
    </svg>
  );
}
