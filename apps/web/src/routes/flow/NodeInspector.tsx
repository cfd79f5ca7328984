import { nodeTypeSpec, type FlowDocument, type FlowNode } from "@meterflow/flow-spec";
import { connectionProblem, type Connection } from "../../canvas/model/flow-editing";
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { z } from "zod";

// The mapper and the expression editor bring the schemas, the compiler and Monaco: loaded when first needed.
const FieldMapper = lazy(() => import("./FieldMapper").then((module) => ({ default: module.FieldMapper })));
const ExpressionField = lazy(() => import("../../expression-editor/ExpressionField"));

interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
}

/**
 * A form for the selected node, generated from its type's config schema (flow-spec's zod
 * schema, as JSON Schema): text, number, yes/no and choice fields, JSON for lists and objects,
 * expression fields marked as such, and the schema's messages under each field.
 */
export function NodeInspector(props: {
  node: FlowNode;
  document: FlowDocument;
  sample: unknown;
  focusField?: { field: string } | null;
  onChange: (change: { name?: string; config?: unknown }) => void;
  onConnect: (connection: Connection) => void;
  onDisconnect: (edgeId: string) => void;
}) {
  const { node, document, sample, focusField, onChange } = props;
  const section = useRef<HTMLElement>(null);
  // A problem chosen in the Problems panel puts the cursor in its field.
  useEffect(() => {
    if (!focusField || !section.current) return;
    const field = [...section.current.querySelectorAll<HTMLElement>(".field")].find(
      (candidate) => candidate.querySelector(".field-label")?.textContent?.split(/[ ·(]/)[0] === focusField.field,
    );
    (
      field?.querySelector<HTMLElement>("input, select, textarea") ??
      section.current.querySelector<HTMLElement>("input")
    )?.focus();
  }, [focusField, node.id]);
  const spec = nodeTypeSpec(node.type);
  const config = node.config as Record<string, unknown>;
  const properties = useMemo(() => {
    const schema = z.toJSONSchema(spec.config, { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, FieldSchema>;
      required?: string[];
    };
    return Object.entries(schema.properties ?? {}).map(([name, field]) => ({
      name,
      field,
      required: schema.required?.includes(name) ?? false,
    }));
  }, [spec]);
  const expressionFields = new Set(spec.expressions(config as never).map((field) => field.path.join(".")));
  const issues = useMemo(() => {
    const result = spec.config.safeParse(config);
    const byField = new Map<string, string[]>();
    if (!result.success)
      for (const issue of result.error.issues)
        byField.set(String(issue.path[0] ?? ""), [
          ...(byField.get(String(issue.path[0] ?? "")) ?? []),
          `${issue.path.slice(1).join(".") || ""}${issue.path.length > 1 ? ": " : ""}${issue.message}`,
        ]);
    return byField;
  }, [spec, config]);

  return (
    <section className={`inspector${node.type === "map" ? " wide" : ""}`} aria-label="Inspector" ref={section}>
      <h2>
        {spec.label} <span className="muted small">{node.id}</span>
      </h2>
      <p className="muted small">{spec.description}</p>
      <CommitField label="Name" value={node.name ?? ""} onCommit={(name) => onChange({ name })} />
      {properties
        .filter(({ name }) => !(node.type === "map" && name === "fields"))
        .map(({ name, field, required }) =>
          expressionFields.has(name) && (field.type === "string" || field.type === undefined) ? (
            <Suspense
              key={`${node.id}-${name}`}
              fallback={<p className="muted small">Loading the expression editor…</p>}
            >
              <ExpressionField
                label={`${name}${required ? "" : " (optional)"} · expression`}
                value={typeof config[name] === "string" ? (config[name] as string) : ""}
                nodeId={node.id}
                document={document}
                problems={issues.get(name) ?? []}
                onCommit={(value) =>
                  onChange({ config: { ...config, [name]: value === "" && !required ? undefined : value } })
                }
              />
            </Suspense>
          ) : (
            <ConfigField
              key={`${node.id}-${name}`}
              name={name}
              field={field}
              required={required}
              expression={expressionFields.has(name)}
              value={config[name]}
              problems={issues.get(name) ?? []}
              onCommit={(value) => onChange({ config: { ...config, [name]: value } })}
            />
          ),
        )}
      {node.type === "map" && (
        <Suspense fallback={<p className="muted small">Loading the mapper…</p>}>
          <FieldMapper
            node={node}
            document={document}
            sample={sample}
            onChange={(mapConfig) => onChange({ config: mapConfig })}
          />
        </Suspense>
      )}
      {node.type === "map" && issues.get("fields") && <FieldProblems problems={issues.get("fields")!} />}
      <Connections node={node} document={document} onConnect={props.onConnect} onDisconnect={props.onDisconnect} />
    </section>
  );
}

/** A plain config field; string expressions get the JSONata editor instead, so `expression` only labels lists of them. */
function ConfigField(props: {
  name: string;
  field: FieldSchema;
  required: boolean;
  expression: boolean;
  value: unknown;
  problems: string[];
  onCommit: (value: unknown) => void;
}) {
  const { name, field, value, problems, onCommit } = props;
  const types = Array.isArray(field.type) ? field.type : [field.type];
  const label = `${name}${props.required ? "" : " (optional)"}${props.expression ? " · expression" : ""}`;
  const describedBy = problems.length ? `problems-${name}` : undefined;
  let control;
  if (field.enum) {
    control = (
      <select
        aria-label={name}
        aria-describedby={describedBy}
        value={String(value ?? "")}
        onChange={(event) => onCommit(field.enum!.find((option) => String(option) === event.target.value))}
      >
        {!props.required && <option value="">—</option>}
        {field.enum.map((option) => (
          <option key={String(option)} value={String(option)}>
            {String(option)}
          </option>
        ))}
      </select>
    );
  } else if (types.includes("boolean")) {
    control = (
      <input
        type="checkbox"
        aria-label={name}
        aria-describedby={describedBy}
        checked={value === true}
        onChange={(event) => onCommit(event.target.checked)}
      />
    );
  } else if (types.includes("number") || types.includes("integer")) {
    return (
      <CommitField
        label={label}
        value={value === undefined ? "" : String(value)}
        problems={problems}
        inputMode="decimal"
        onCommit={(text) => onCommit(text.trim() === "" ? undefined : Number(text))}
      />
    );
  } else if (types.includes("string")) {
    return (
      <CommitField
        label={label}
        value={typeof value === "string" ? value : ""}
        problems={problems}
        onCommit={(text) => onCommit(text === "" && !props.required ? undefined : text)}
      />
    );
  } else {
    return <JsonField label={label} value={value} problems={problems} onCommit={onCommit} />;
  }
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {control}
      <FieldProblems id={describedBy} problems={problems} />
    </label>
  );
}

/** A text field that writes (one undo step) when it loses focus or on Enter, not on every key. */
function CommitField(props: {
  label: string;
  value: string;
  problems?: string[];
  inputMode?: "decimal";
  onCommit: (value: string) => void;
}) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const commit = () => {
    if (text !== props.value) props.onCommit(text);
  };
  const id = props.problems?.length ? `problems-${props.label}` : undefined;
  return (
    <label className="field">
      <span className="field-label">{props.label}</span>
      <input
        value={text}
        inputMode={props.inputMode}
        aria-describedby={id}
        aria-invalid={props.problems?.length ? true : undefined}
        onChange={(event) => setText(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === "Enter") commit();
          if (event.key === "Escape") setText(props.value);
        }}
      />
      <FieldProblems id={id} problems={props.problems ?? []} />
    </label>
  );
}

function JsonField(props: { label: string; value: unknown; problems: string[]; onCommit: (value: unknown) => void }) {
  const formatted = JSON.stringify(props.value ?? null, null, 2);
  const [text, setText] = useState(formatted);
  const [parseError, setParseError] = useState<string | null>(null);
  useEffect(() => setText(formatted), [formatted]);
  const problems = parseError ? [parseError, ...props.problems] : props.problems;
  return (
    <label className="field">
      <span className="field-label">{props.label} · JSON</span>
      <textarea
        className="mono"
        rows={Math.min(12, text.split("\n").length + 1)}
        value={text}
        aria-invalid={problems.length ? true : undefined}
        onChange={(event) => setText(event.target.value)}
        onBlur={() => {
          if (text === formatted) return;
          try {
            props.onCommit(JSON.parse(text));
            setParseError(null);
          } catch (error) {
            setParseError(`Not valid JSON: ${(error as Error).message}`);
          }
        }}
      />
      <FieldProblems problems={problems} />
    </label>
  );
}

function FieldProblems({ id, problems }: { id?: string | undefined; problems: string[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="field-problems" id={id}>
      {problems.map((problem) => (
        <li key={problem}>{problem}</li>
      ))}
    </ul>
  );
}

/**
 * The node's outgoing connections, and a way to add one without a mouse: each output port lists
 * the inputs it may feed (compatible kinds, no cycles), so connecting is keyboard operable.
 */
function Connections({
  node,
  document,
  onConnect,
  onDisconnect,
}: {
  node: FlowNode;
  document: FlowDocument;
  onConnect: (connection: Connection) => void;
  onDisconnect: (edgeId: string) => void;
}) {
  const outputs = nodeTypeSpec(node.type).outputs(node.config as never);
  const name = (id: string) => document.nodes.find((candidate) => candidate.id === id)?.name ?? id;
  if (outputs.length === 0) return null;
  return (
    <fieldset className="connections">
      <legend>Connections</legend>
      {outputs.map((port) => {
        const edges = document.edges.filter((edge) => edge.source.node === node.id && edge.source.port === port.name);
        const candidates = document.nodes.flatMap((target) =>
          nodeTypeSpec(target.type)
            .inputs(target.config as never)
            .filter(
              (input) =>
                !connectionProblem(document, {
                  source: node.id,
                  sourcePort: port.name,
                  target: target.id,
                  targetPort: input.name,
                }),
            )
            .map((input) => ({
              value: `${target.id}\u0000${input.name}`,
              label: `${name(target.id)} → ${input.name}`,
            })),
        );
        return (
          <div key={port.name} className="connection-port">
            <span className="field-label">
              {port.name} <span className="muted">({port.carries})</span>
            </span>
            <ul>
              {edges.map((edge) => (
                <li key={edge.id}>
                  {name(edge.target.node)} → {edge.target.port}{" "}
                  <button
                    type="button"
                    className="link"
                    onClick={() => onDisconnect(edge.id)}
                    aria-label={`Disconnect ${port.name} from ${name(edge.target.node)}`}
                  >
                    remove
                  </button>
                </li>
              ))}
            </ul>
            {candidates.length > 0 && (
              <select
                aria-label={`Connect ${port.name} to`}
                value=""
                onChange={(event) => {
                  const [target, targetPort] = event.target.value.split("\u0000");
                  if (target && targetPort) onConnect({ source: node.id, sourcePort: port.name, target, targetPort });
                }}
              >
                <option value="">Connect to…</option>
                {candidates.map((candidate) => (
                  <option key={candidate.value} value={candidate.value}>
                    {candidate.label}
                  </option>
                ))}
              </select>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
