import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { CanvasNode } from "./model/document-to-canvas";

const PORT_SPACING = 22;
const HEADER_HEIGHT = 46;

/** A catalog node: title, type, one handle per port (inputs left, outputs right), problem badge. */
export const FlowNodeView = memo(function FlowNodeView({ data, selected }: NodeProps<CanvasNode>) {
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  const errors = data.problems.filter((problem) => problem.severity === "error").length;
  return (
    <div
      className={`flow-node category-${data.category}${selected ? " selected" : ""}${data.problems.length ? " has-problems" : ""}`}
      style={{ minHeight: HEADER_HEIGHT + rows * PORT_SPACING }}
      aria-label={`${data.typeLabel} node ${data.title}`}
    >
      <div className="flow-node-header">
        <div className="flow-node-title">{data.title}</div>
        <div className="flow-node-type">{data.typeLabel}</div>
        {data.run && (
          <span
            className="badge badge-run"
            title={`Test run: ${data.run.received} in; ${Object.entries(data.run.emitted)
              .filter(([port]) => !port.startsWith("__"))
              .map(([port, count]) => `${port} ${count}`)
              .join(", ")}`}
          >
            {data.run.received} in
          </span>
        )}
        {data.problems.length > 0 && (
          <span
            className={`badge ${errors ? "badge-error" : "badge-warning"}`}
            title={data.problems.map((p) => p.message).join("\n")}
          >
            {data.problems.length}
          </span>
        )}
      </div>
      {data.inputs.map((port, index) => (
        <div key={`in-${port.name}`} className="port port-in" style={{ top: HEADER_HEIGHT + index * PORT_SPACING }}>
          <Handle
            type="target"
            position={Position.Left}
            id={port.name}
            title={`${port.name}: accepts ${port.accepts.join(", ")}`}
          />
          <span>{port.name}</span>
        </div>
      ))}
      {data.outputs.map((port, index) => (
        <div key={`out-${port.name}`} className="port port-out" style={{ top: HEADER_HEIGHT + index * PORT_SPACING }}>
          <span>{port.name}</span>
          <Handle type="source" position={Position.Right} id={port.name} title={`${port.name}: ${port.carries}`} />
        </div>
      ))}
    </div>
  );
});
