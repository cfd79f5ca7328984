import { canonicalTypes } from "@meterflow/canonical";
import { compile } from "@meterflow/expressions";
import type { FlowDocument, FlowNodeOf } from "@meterflow/flow-spec";
import { lazy, Suspense, useLayoutEffect, useMemo, useRef, useState } from "react";
import { inputSchemaFor, schemaPaths } from "../../expression-editor/input-schema";

// Monaco is large: its chunk loads when the first expression editor opens, never with the page.
const ExpressionEditor = lazy(() => import("../../expression-editor/ExpressionEditor"));

type MapNode = FlowNodeOf<"map">;
const SOURCE_PATH_MIME = "application/x-meterflow-source-path";
type Mapping = MapNode["config"]["fields"][number];

/**
 * The Map node's mapper: source fields (the node's input) on the left, the target canonical
 * type's fields on the right. Dragging a source field onto a target field (or choosing one, then
 * the other, from the keyboard) writes the expression; each target's expression opens in the JSONata editor; required targets that are
 * unmapped are flagged; the preview shows each field's value for the sample the last test run
 * sent into this node.
 */
export function FieldMapper({
  node,
  document,
  sample,
  onChange,
}: {
  node: MapNode;
  document: FlowDocument;
  sample: unknown;
  onChange: (config: MapNode["config"]) => void;
}) {
  const inputSchema = useMemo(() => inputSchemaFor(document, node.id), [document, node.id]);
  const target = canonicalTypes.get(node.config.target);
  const required = new Set((target?.required as string[] | undefined) ?? []);
  const targetFields = Object.keys((target?.properties as Record<string, unknown> | undefined) ?? {});
  const mapped = new Map(node.config.fields.map((field) => [field.target, field]));
  const rows = [
    ...targetFields,
    ...node.config.fields.map((field) => field.target).filter((name) => !targetFields.includes(name)),
  ];
  const sources = useMemo(() => schemaPaths(inputSchema), [inputSchema]);
  const [pickedSource, setPickedSource] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const write = (fields: Mapping[]) => onChange({ ...node.config, fields });
  const setExpression = (targetName: string, expression: string) => {
    const exists = node.config.fields.some((field) => field.target === targetName);
    write(
      exists
        ? node.config.fields.map((field) => (field.target === targetName ? { ...field, expression } : field))
        : [...node.config.fields, { target: targetName, expression }],
    );
  };
  const unmap = (targetName: string) => write(node.config.fields.filter((field) => field.target !== targetName));
  const preview = (expression: string) => {
    if (sample === undefined) return "";
    try {
      const value = compile(expression).evaluate(sample);
      return value === undefined ? "(nothing)" : JSON.stringify(value);
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };

  // A line from each source field to the targets mapped straight from it.
  const container = useRef<HTMLDivElement>(null);
  const [lines, setLines] = useState<{ key: string; x1: number; y1: number; x2: number; y2: number }[]>([]);
  useLayoutEffect(() => {
    const root = container.current;
    if (!root) return;
    const box = root.getBoundingClientRect();
    const next = node.config.fields.flatMap((field) => {
      const from = root.querySelector<HTMLElement>(`[data-source-path="${CSS.escape(field.expression.trim())}"]`);
      const to = root.querySelector<HTMLElement>(`[data-target-field="${CSS.escape(field.target)}"]`);
      if (!from || !to) return [];
      const a = from.getBoundingClientRect();
      const b = to.getBoundingClientRect();
      return [
        {
          key: `${field.expression}->${field.target}`,
          x1: a.right - box.left,
          y1: a.top + a.height / 2 - box.top,
          x2: b.left - box.left,
          y2: b.top + b.height / 2 - box.top,
        },
      ];
    });
    if (JSON.stringify(next) !== JSON.stringify(lines)) setLines(next);
  });

  return (
    <div className="mapper mapper-columns" aria-label="Field mapper" role="group" ref={container}>
      <svg className="mapper-lines" aria-hidden="true">
        {lines.map((line) => (
          <path
            key={line.key}
            d={`M${line.x1},${line.y1} C${line.x1 + 30},${line.y1} ${line.x2 - 30},${line.y2} ${line.x2},${line.y2}`}
          />
        ))}
      </svg>
      <div className="mapper-sources">
        <h3>Source fields</h3>
        <ul aria-label="Source fields">
          {sources.map((source) => (
            <li key={source.path}>
              <button
                type="button"
                className={`mapper-source${pickedSource === source.path ? " picked" : ""}`}
                data-source-path={source.path}
                aria-pressed={pickedSource === source.path}
                onClick={() => setPickedSource(pickedSource === source.path ? null : source.path)}
                title={`${source.type}: drag onto a target field, or click and then click the target`}
                draggable
                onDragStart={(event) => {
                  event.dataTransfer.setData(SOURCE_PATH_MIME, source.path);
                  event.dataTransfer.effectAllowed = "link";
                }}
              >
                {source.path}
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div className="mapper-targets">
        <h3>{node.config.target} fields</h3>
        {pickedSource && <p className="small mapper-hint">Now choose the target field for {pickedSource}.</p>}
        <ul aria-label="Target fields">
          {rows.map((name) => {
            const mapping = mapped.get(name);
            const missing = required.has(name) && !mapping;
            return (
              <li key={name} className={`mapper-row${missing ? " missing" : ""}`}>
                <button
                  type="button"
                  className="mapper-target"
                  data-target-field={name}
                  aria-label={`Target ${name}${missing ? " (required, unmapped)" : ""}`}
                  aria-disabled={!pickedSource}
                  onDragOver={(event) => {
                    if (event.dataTransfer.types.includes(SOURCE_PATH_MIME)) event.preventDefault();
                  }}
                  onDrop={(event) => {
                    const path = event.dataTransfer.getData(SOURCE_PATH_MIME);
                    if (!path) return;
                    event.preventDefault();
                    setExpression(name, path);
                  }}
                  onClick={() => {
                    if (!pickedSource) return;
                    setExpression(name, pickedSource);
                    setPickedSource(null);
                  }}
                >
                  {name}
                  {required.has(name) && <span aria-hidden="true"> *</span>}
                </button>
                {mapping ? (
                  <>
                    {editing === name ? (
                      <Suspense fallback={<code className="mono">{mapping.expression}</code>}>
                        <ExpressionEditor
                          label={name}
                          value={mapping.expression}
                          inputSchema={inputSchema}
                          onCommit={(expression) => setExpression(name, expression)}
                        />
                      </Suspense>
                    ) : (
                      <button
                        type="button"
                        className="mapper-expression mono"
                        onClick={() => setEditing(name)}
                        aria-label={`Edit expression of ${name}`}
                      >
                        {mapping.expression}
                      </button>
                    )}
                    <output className="mapper-preview mono" aria-label={`Preview of ${name}`}>
                      {preview(mapping.expression)}
                    </output>
                    <button type="button" className="link" onClick={() => unmap(name)} aria-label={`Unmap ${name}`}>
                      ×
                    </button>
                  </>
                ) : (
                  <button
                    type="button"
                    className="link"
                    onClick={() => (setExpression(name, '""'), setEditing(name))}
                    aria-label={`Write an expression for ${name}`}
                  >
                    {missing ? "required: map it" : "unmapped"}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
