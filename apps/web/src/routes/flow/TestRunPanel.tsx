import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { eventSchemas } from "@meterflow/canonical";
import type { FlowDocument } from "@meterflow/flow-spec";
import { useEffect, useRef, useState } from "react";
import { countOf } from "../../lib/counting";
import { useTRPC, type RouterOutputs } from "../../lib/trpc";

export type TestRunResult = RouterOutputs["flows"]["testRun"];

/** Runs the saved draft on sample events (a dry run: nothing is stored or posted) and shows what happened. */
export function TestRunPanel({
  flowId,
  templateId,
  document,
  selectedNodeId,
  onResult,
}: {
  flowId: string;
  templateId: string | null;
  document: FlowDocument;
  selectedNodeId: string | undefined;
  onResult: (result: TestRunResult | null) => void;
}) {
  const trpc = useTRPC();
  const templates = useQuery(trpc.templates.list.queryOptions());
  const samples = templates.data?.find((template) => template.id === templateId)?.sampleEvents;
  const [text, setText] = useState<string | null>(null);
  const eventsText = text ?? (samples ? JSON.stringify(samples, null, 2) : "[]");
  const [parseError, setParseError] = useState<string | null>(null);
  const testRun = useMutation(trpc.flows.testRun.mutationOptions({ onSuccess: (result) => onResult(result) }));

  const run = () => {
    let events: unknown;
    try {
      events = JSON.parse(eventsText);
    } catch (error) {
      setParseError(`Sample events are not valid JSON: ${(error as Error).message}`);
      return;
    }
    const list = Array.isArray(events) ? events : [events];
    setParseError(null);
    testRun.mutate({ id: flowId, events: list, document: document as unknown as Record<string, unknown> });
  };
  // Ctrl/⌘+Enter re-runs from anywhere in the editor, so an edit is checked in one keystroke.
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        runRef.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const queryClient = useQueryClient();
  const loadRecent = async () => {
    const recent = await queryClient.fetchQuery(
      trpc.events.recentEnvelopes.queryOptions({ limit: 10 }, { staleTime: 0 }),
    );
    setText(JSON.stringify(recent, null, 2));
  };
  const loadFile = async (file: File) => {
    const content = await file.text();
    setText(content);
  };
  const generate = () => {
    const validate = document.nodes.find((node) => node.type === "validate");
    const source = document.nodes.find((node) => node.type === "source.events");
    const schema = validate?.type === "validate" ? eventSchemas.get(validate.config.schema) : undefined;
    const data = Object.fromEntries(
      Object.entries(
        (schema?.properties as Record<string, { type?: string; enum?: unknown[]; minimum?: number }> | undefined) ?? {},
      ).map(([name, property]) => [name, exampleValue(name, property)]),
    );
    const type = source?.type === "source.events" ? source.config.eventTypes[0] : "com.example.usage";
    setText(
      JSON.stringify(
        [
          {
            specversion: "1.0",
            id: `sample-${Date.now()}`,
            source: "/designer",
            type,
            time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            data,
          },
        ],
        null,
        2,
      ),
    );
  };
  const result = testRun.data;

  return (
    <section className="side-panel" aria-label="Test run">
      <h2>Test run</h2>
      <label className="field-label" htmlFor="test-events">
        Sample events (CloudEvents JSON array)
      </label>
      <textarea
        id="test-events"
        className="events-input"
        value={eventsText}
        spellCheck={false}
        onChange={(event) => setText(event.target.value)}
      />
      <div className="row wrap">
        <button type="button" onClick={generate}>
          Generate from the event schema
        </button>
        <button type="button" onClick={() => void loadRecent()}>
          Recent stored events
        </button>
        <label className="file-pick">
          Pick a file
          <input
            type="file"
            accept="application/json,.json"
            onChange={(event) => event.target.files?.[0] && void loadFile(event.target.files[0])}
          />
        </label>
      </div>
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={run}
          disabled={testRun.isPending}
          title="Run test (Ctrl+Enter)"
        >
          Run test
        </button>
        <span className="muted small">Runs what the canvas shows, saved or not.</span>
      </div>
      {parseError && (
        <p className="error" role="alert">
          {parseError}
        </p>
      )}
      {testRun.error && (
        <p className="error" role="alert">
          {testRun.error.message}
        </p>
      )}
      {result && (
        <div className="run-result">
          <p className="run-counts" role="status">
            {result.counts.validated} validated · {countOf(result.counts.duplicate, "duplicate")} ·{" "}
            {countOf(result.counts.exception, "exception")}
          </p>
          <NodeData result={result} nodeId={selectedNodeId} />
          <h3>Exceptions ({result.exceptions.length})</h3>
          <ul className="run-list">
            {result.exceptions.map((exception, index) => (
              <li key={index}>
                <code>{exception.kind}</code> at <code>{exception.nodeId}</code>: {exception.reason}
              </li>
            ))}
          </ul>
          <h3>Held for approval ({result.approvals.length})</h3>
          <ul className="run-list">
            {result.approvals.map((approval) => (
              <li key={approval.itemId}>
                <code>{approval.nodeId}</code> for {approval.approverRole}:{" "}
                <pre>{JSON.stringify(approval.payload, null, 2)}</pre>
              </li>
            ))}
          </ul>
          <h3>Postings that would be sent ({result.postings.length})</h3>
          <ul className="run-list">
            {result.postings.map((posting) => (
              <li key={posting.idempotencyKey}>
                <code>
                  {posting.endpoint} {posting.operation}
                </code>{" "}
                Idempotency-Key <code title={posting.idempotencyKey}>{posting.idempotencyKey.slice(0, 12)}…</code>
                <pre>{JSON.stringify(posting.request, null, 2)}</pre>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/** A plausible value for a schema property: its first enum value, else something of its type. */
function exampleValue(name: string, property: { type?: string; enum?: unknown[]; minimum?: number }): unknown {
  if (property.enum?.length) return property.enum[0];
  if (property.type === "integer" || property.type === "number") return Math.max(property.minimum ?? 1, 1);
  if (property.type === "boolean") return true;
  if (name === "tenantId") return "acme";
  if (name === "productCode") return "api-calls";
  return property.type === "string" ? name : null;
}

/** What entered and left the selected node in the run: JSON, or a table of the items' fields. */
function NodeData({ result, nodeId }: { result: TestRunResult; nodeId: string | undefined }) {
  const [view, setView] = useState<"json" | "table">("table");
  const trace = result.traces.find((candidate) => candidate.nodeId === nodeId);
  if (!nodeId) return <p className="muted small">Select a node to see the items that entered and left it.</p>;
  if (!trace) return <p className="muted small">Nothing reached {nodeId} in this run.</p>;
  const groups: [string, unknown[]][] = [
    ["in", trace.samplesIn],
    ...Object.entries(trace.samplesOut)
      .filter(([port]) => !port.startsWith("__"))
      .map(([port, items]): [string, unknown[]] => [`out: ${port} (${trace.emitted[port] ?? items.length})`, items]),
  ];
  return (
    <section className="node-data" aria-label={`Items at ${nodeId}`}>
      <div className="row">
        <h3>
          {nodeId}: {trace.received} in
        </h3>
        <div className="panel-switch" role="group" aria-label="Item view">
          <button type="button" aria-pressed={view === "table"} onClick={() => setView("table")}>
            Table
          </button>
          <button type="button" aria-pressed={view === "json"} onClick={() => setView("json")}>
            JSON
          </button>
        </div>
      </div>
      {groups.map(([label, items]) => (
        <details key={label} open={label === "in" || items.length > 0}>
          <summary>
            {label} · {items.length} shown
          </summary>
          {view === "json" ? (
            <div className="json-tree mono">
              {items.map((item, index) => (
                <JsonTree key={index} label={`#${index + 1}`} value={item} open={index === 0} />
              ))}
            </div>
          ) : (
            <ItemTable items={items} />
          )}
        </details>
      ))}
    </section>
  );
}

function ItemTable({ items }: { items: unknown[] }) {
  const rows = items.map((item) =>
    item && typeof item === "object" ? (item as Record<string, unknown>) : { value: item },
  );
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (rows.length === 0) return <p className="muted small">No items.</p>;
  return (
    <div className="item-table">
      <table>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index}>
              {columns.map((column) => (
                <td key={column} className="mono">
                  {typeof row[column] === "object" ? JSON.stringify(row[column]) : String(row[column] ?? "")}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A value as a tree: objects and arrays fold open, leaves show as JSON. */
function JsonTree({ label, value, open = false }: { label: string; value: unknown; open?: boolean }) {
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-leaf">
        <span className="json-key">{label}</span>: {JSON.stringify(value)}
      </div>
    );
  }
  const entries = Array.isArray(value)
    ? value.map((entry, index): [string, unknown] => [String(index), entry])
    : Object.entries(value);
  return (
    <details open={open}>
      <summary>
        <span className="json-key">{label}</span> {Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}
      </summary>
      <div className="json-children">
        {entries.map(([key, entry]) => (
          <JsonTree key={key} label={key} value={entry} />
        ))}
      </div>
    </details>
  );
}
