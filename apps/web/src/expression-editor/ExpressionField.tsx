import type { FlowDocument } from "@meterflow/flow-spec";
import { lazy, Suspense, useMemo, useState } from "react";
import { inputSchemaFor } from "./input-schema";

const ExpressionEditor = lazy(() => import("./ExpressionEditor"));

/** An expression field of the inspector, edited in the JSONata editor with the node's input for completion. */
export default function ExpressionField({
  label,
  value,
  nodeId,
  document,
  problems,
  onCommit,
}: {
  label: string;
  value: string;
  nodeId: string;
  document: FlowDocument;
  problems: string[];
  onCommit: (value: string) => void;
}) {
  const inputSchema = useMemo(() => inputSchemaFor(document, nodeId), [document, nodeId]);
  const [markers, setMarkers] = useState<string[]>([]);
  const shown = [...problems, ...markers.filter((marker) => !problems.includes(marker))];
  return (
    <div className="field">
      <span className="field-label">{label}</span>
      <Suspense fallback={<code className="mono">{value}</code>}>
        <ExpressionEditor
          label={label}
          value={value}
          inputSchema={inputSchema}
          onCommit={onCommit}
          onProblems={setMarkers}
        />
      </Suspense>
      {shown.length > 0 && (
        <ul className="field-problems">
          {shown.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
