import { nodeTypes, nodeTypeSpec, type NodeType } from "@meterflow/flow-spec";
import { useMemo, useState } from "react";

export const PALETTE_MIME = "application/x-meterflow-node-type";

/** The node catalog: search it, click an entry to add it to the canvas, or drag it to a spot. */
export function NodePalette({ onAdd }: { onAdd: (type: NodeType) => void }) {
  const [query, setQuery] = useState("");
  const entries = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return (
      nodeTypes
        .map((type) => nodeTypeSpec(type))
        .filter((spec) =>
          words.every((word) =>
            `${spec.label} ${spec.type} ${spec.category} ${spec.description}`.toLowerCase().includes(word),
          ),
        )
        // Names that match come before descriptions that mention the words.
        .sort(
          (a, b) =>
            Number(!words.every((word) => a.label.toLowerCase().includes(word))) -
            Number(!words.every((word) => b.label.toLowerCase().includes(word))),
        )
    );
  }, [query]);
  return (
    <section className="palette" aria-label="Node palette">
      <h2>Nodes</h2>
      <input
        type="search"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        placeholder="Search nodes"
        aria-label="Search nodes"
      />
      <ul>
        {entries.map((spec) => (
          <li key={spec.type}>
            <button
              type="button"
              className={`palette-entry category-${spec.category}`}
              draggable
              onDragStart={(event) => {
                event.dataTransfer.setData(PALETTE_MIME, spec.type);
                event.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => onAdd(spec.type)}
              title={spec.description}
              aria-label={`Add ${spec.label} node`}
            >
              <span className="palette-label">{spec.label}</span>
              <span className="palette-description">{spec.description}</span>
            </button>
          </li>
        ))}
        {entries.length === 0 && <li className="muted small">No node matches “{query}”.</li>}
      </ul>
    </section>
  );
}
