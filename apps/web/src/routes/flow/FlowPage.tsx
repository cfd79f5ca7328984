import { validateFlow, type NodeType, type Problem } from "@meterflow/flow-spec";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection as FlowConnection,
  type EdgeChange,
  type NodeChange,
  type NodeTypes,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { FlowNodeView } from "../../canvas/FlowNodeView";
import { documentToCanvas, type CanvasEdge, type CanvasNode } from "../../canvas/model/document-to-canvas";
import { autoLayout } from "../../canvas/model/auto-layout";
import {
  applyEdit,
  connectionProblem,
  editorState,
  redo,
  undo,
  type Connection,
  type Edit,
  type EditorState,
} from "../../canvas/model/flow-editing";
import { countOf } from "../../lib/counting";
import { useTRPC, type RouterOutputs } from "../../lib/trpc";
import { NodeInspector } from "./NodeInspector";
import { NodePalette, PALETTE_MIME } from "./NodePalette";
import { ProblemsPanel } from "./ProblemsPanel";
import { ShortcutSheet } from "./ShortcutSheet";
import { useDraftSaving } from "./use-draft-saving";
import { useEditorShortcuts } from "./use-editor-shortcuts";
import { TestRunPanel, type TestRunResult } from "./TestRunPanel";

const nodeTypes: NodeTypes = { flowNode: FlowNodeView };
/** Whole-pixel grid positions: what the canvas shows is exactly what the document stores. */
const SNAP_GRID: [number, number] = [10, 10];

type LoadedFlow = RouterOutputs["flows"]["get"];
type SidePanel = "inspector" | "problems" | "test";

export function FlowPage({ flowId }: { flowId: string }) {
  const trpc = useTRPC();
  const flow = useQuery(trpc.flows.get.queryOptions({ id: flowId }, { refetchOnWindowFocus: false }));
  if (flow.isPending) return <p className="page muted">Loading flow…</p>;
  if (flow.error)
    return (
      <p className="page error" role="alert">
        Could not load this flow: {flow.error.message}
      </p>
    );
  return (
    <ReactFlowProvider>
      <FlowEditor key={flow.data.id} flow={flow.data} />
    </ReactFlowProvider>
  );
}

function FlowEditor({ flow }: { flow: LoadedFlow }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { setCenter, getNode, screenToFlowPosition, fitView } = useReactFlow();

  // The document and its history are the editor's truth; the canvas is derived from them.
  const [editor, setEditor] = useState<EditorState>(() => editorState(flow.draft));
  const [connectionHint, setConnectionHint] = useState<string | null>(null);
  const [runResult, setRunResult] = useState<TestRunResult | null>(null);
  const [panel, setPanel] = useState<SidePanel>("inspector");
  const [changelog, setChangelog] = useState("");
  const [showShortcuts, setShowShortcuts] = useState(false);
  const [layingOut, setLayingOut] = useState(false);
  const [fitAfterLayout, setFitAfterLayout] = useState(false);
  const document = editor.document;
  const edit = useCallback((change: Edit) => setEditor((state) => applyEdit(state, change)), []);

  const liveProblems = useMemo(() => validateFlow(document).problems, [document]);
  const blocking = liveProblems.filter((problem) => problem.severity === "error");
  const { saved, dirty, refusal, conflict, save, saveNow, loadTheirs, status } = useDraftSaving(
    flow,
    document,
    blocking.length,
    (fresh) => setEditor(editorState(fresh)),
  );
  // The expressions' type check needs the compiler and the schemas: a chunk loaded after the page.
  const [typeProblems, setTypeProblems] = useState<Problem[]>([]);
  useEffect(() => {
    let current = true;
    void import("../../expression-editor/expression-problems").then(
      (module) => current && setTypeProblems(module.expressionProblems(document)),
    );
    return () => {
      current = false;
    };
  }, [document]);
  const structural = !dirty ? saved.problems : refusal?.document === document ? refusal.problems : liveProblems;
  // Same problems, same array: re-deriving the canvas (and re-rendering every node) only when they change.
  const problemsRef = useRef<Problem[]>([]);
  const problems = useMemo(() => {
    const next = [...structural, ...typeProblems];
    if (JSON.stringify(next) !== JSON.stringify(problemsRef.current)) problemsRef.current = next;
    return problemsRef.current;
  }, [structural, typeProblems]);

  const runCounts = useMemo(
    () =>
      new Map(
        (runResult?.traces ?? []).map((trace) => [trace.nodeId, { received: trace.received, emitted: trace.emitted }]),
      ),
    [runResult],
  );
  const derived = useMemo(() => documentToCanvas(document, problems, runCounts), [document, problems, runCounts]);
  const [nodes, setNodes, applyNodeChanges] = useNodesState<CanvasNode>(derived.nodes);
  const [edges, setEdges, applyEdgeChanges] = useEdgesState<CanvasEdge>(derived.edges);
  const nodesRef = useRef(nodes);
  nodesRef.current = nodes;
  // Keep what React Flow owns (measurements, selection, a drag in progress); take the rest from the
  // document in the render that changed it (React renders again at once, before committing): copied
  // in an effect, the canvas got an edit a render late, and a fit right after Auto-layout could
  // still take the old positions.
  const [copiedFrom, setCopiedFrom] = useState(derived);
  if (copiedFrom !== derived) {
    setCopiedFrom(derived);
    setNodes((current) => {
      const byId = new Map(current.map((node) => [node.id, node]));
      return derived.nodes.map((node) => {
        const previous = byId.get(node.id);
        return previous
          ? { ...previous, data: node.data, position: previous.dragging ? previous.position : node.position }
          : node;
      });
    });
    setEdges((current) => {
      const selected = new Set(current.filter((edge) => edge.selected).map((edge) => edge.id));
      return derived.edges.map((edge) => (selected.has(edge.id) ? { ...edge, selected: true } : edge));
    });
  }

  const selectedNodes = nodes.filter((node) => node.selected);
  const inspected =
    selectedNodes.length === 1 ? document.nodes.find((node) => node.id === selectedNodes[0]!.id) : undefined;

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      applyNodeChanges(changes.filter((change) => change.type !== "remove"));
      const dropped = changes
        .filter((change) => change.type === "position" && change.dragging === false)
        .map((change) => (change as { id: string }).id);
      if (dropped.length > 0) {
        const positions = Object.fromEntries(
          dropped.flatMap((id) => {
            const node = nodesRef.current.find((candidate) => candidate.id === id);
            const moved = changes.find((change) => change.type === "position" && change.id === id && change.position) as
              | { position?: { x: number; y: number } }
              | undefined;
            const position = moved?.position ?? node?.position;
            return position ? [[id, position]] : [];
          }),
        );
        edit({ kind: "move", positions });
      }
      if (changes.some((change) => change.type === "select" && change.selected))
        setPanel((current) => (current === "test" ? "test" : "inspector"));
    },
    [applyNodeChanges, edit],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<CanvasEdge>[]) => applyEdgeChanges(changes.filter((change) => change.type !== "remove")),
    [applyEdgeChanges],
  );
  const onDelete = useCallback(
    ({ nodes: removedNodes, edges: removedEdges }: { nodes: CanvasNode[]; edges: CanvasEdge[] }) =>
      edit({
        kind: "remove",
        nodeIds: removedNodes.map((node) => node.id),
        edgeIds: removedEdges.map((edge) => edge.id),
      }),
    [edit],
  );

  const toConnection = (connection: FlowConnection | CanvasEdge): Connection => ({
    source: connection.source,
    sourcePort: connection.sourceHandle ?? "",
    target: connection.target,
    targetPort: connection.targetHandle ?? "",
  });
  const isValidConnection = useCallback(
    (connection: FlowConnection | CanvasEdge) => {
      const problem = connectionProblem(document, toConnection(connection));
      setConnectionHint(problem ?? null);
      return problem === undefined;
    },
    [document],
  );
  const onConnect = useCallback(
    (connection: FlowConnection) => {
      setConnectionHint(null);
      edit({ kind: "connect", connection: toConnection(connection) });
    },
    [edit],
  );

  // Where "add" puts a node: the last point the pointer was over the canvas, else its middle.
  const canvasRef = useRef<HTMLDivElement>(null);
  const pointer = useRef<{ x: number; y: number } | null>(null);
  const addNode = useCallback(
    (nodeType: NodeType, at?: { x: number; y: number }) => {
      const box = canvasRef.current?.getBoundingClientRect();
      const screen =
        at ?? pointer.current ?? (box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 0, y: 0 });
      const position = screenToFlowPosition(screen);
      // Repeated adds at one spot cascade instead of stacking exactly.
      while (
        document.nodes.some(
          (node) => Math.abs(node.position.x - position.x) < 20 && Math.abs(node.position.y - position.y) < 20,
        )
      ) {
        position.x += 40;
        position.y += 40;
      }
      edit({ kind: "addNode", nodeType, position });
    },
    [edit, screenToFlowPosition, document.nodes],
  );
  const onDrop = (event: DragEvent) => {
    const nodeType = event.dataTransfer.getData(PALETTE_MIME) as NodeType;
    if (!nodeType) return;
    event.preventDefault();
    addNode(nodeType, { x: event.clientX, y: event.clientY });
  };

  const publish = useMutation(
    trpc.versions.publish.mutationOptions({
      onSuccess: async () => {
        setChangelog("");
        await queryClient.invalidateQueries({ queryKey: trpc.versions.list.queryKey({ flowId: flow.id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
      },
    }),
  );
  const versions = useQuery(trpc.versions.list.queryOptions({ flowId: flow.id }));
  const deployments = useQuery(trpc.deployments.list.queryOptions());
  const deploy = useMutation(
    trpc.deployments.deploy.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.deployments.list.queryKey() }),
    }),
  );
  const deployed = deployments.data?.find(
    (row) => row.deployment.flowId === flow.id && row.deployment.status === "active",
  );
  const latest = versions.data?.[0];

  const selectedIds = useCallback(() => nodesRef.current.filter((node) => node.selected).map((node) => node.id), []);
  const layout = useCallback(async () => {
    setLayingOut(true);
    try {
      edit({ kind: "move", positions: await autoLayout(document) });
      setFitAfterLayout(true);
    } finally {
      setLayingOut(false);
    }
  }, [document, edit]);
  // The laid-out flow may reach past the view: show all of it once the canvas has the new
  // positions (its store takes them in its own effects, which run before this page's).
  useEffect(() => {
    if (!fitAfterLayout) return;
    setFitAfterLayout(false);
    void fitView({ maxZoom: 1, duration: 200 });
  }, [fitAfterLayout, fitView]);

  useEditorShortcuts({
    document,
    selectedIds,
    edit,
    save: () => saveNow(),
    undo: () => setEditor(undo),
    redo: () => setEditor(redo),
    selectAll: () => setNodes((current) => current.map((node) => ({ ...node, selected: true }))),
    showShortcuts: () => setShowShortcuts(true),
  });

  const [focusField, setFocusField] = useState<{ field: string } | null>(null);
  const focusProblem = useCallback(
    (problem: Problem) => {
      const nodeId = problem.nodeId;
      const node = nodeId ? getNode(nodeId) : undefined;
      if (!node) return;
      void setCenter(node.position.x + 100, node.position.y + 40, { zoom: 1.2, duration: 300 });
      setNodes((current) => current.map((candidate) => ({ ...candidate, selected: candidate.id === nodeId })));
      setPanel("inspector");
      // "$.nodes[3].config.schema" -> the schema field; a problem of the node itself -> its name.
      setFocusField({ field: /\.config\.([A-Za-z_]\w*)/.exec(problem.path)?.[1] ?? "Name" });
    },
    [getNode, setCenter, setNodes],
  );

  return (
    <section className="editor">
      <div className="editor-toolbar">
        <h1 className="editor-title">{document.metadata.name}</h1>
        <span className={`save-state${dirty ? " unsaved" : ""}`} role="status" aria-live="polite">
          {status}
        </span>
        <button
          type="button"
          className="primary"
          onClick={() => saveNow()}
          disabled={!dirty || save.isPending || blocking.length > 0}
          title="Save (Ctrl+S); drafts also save themselves"
        >
          Save
        </button>
        <button type="button" onClick={() => setEditor(undo)} disabled={editor.past.length === 0} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button
          type="button"
          onClick={() => setEditor(redo)}
          disabled={editor.future.length === 0}
          title="Redo (Ctrl+Shift+Z or Ctrl+Y)"
        >
          Redo
        </button>
        <button
          type="button"
          onClick={() => void layout()}
          disabled={layingOut || document.nodes.length === 0}
          title="Arrange the nodes left to right"
        >
          Auto-layout
        </button>
        <button
          type="button"
          onClick={() => setShowShortcuts(true)}
          title="Keyboard shortcuts (?)"
          aria-label="Keyboard shortcuts"
        >
          ?
        </button>
        <form
          className="publish-form"
          onSubmit={(event) => {
            event.preventDefault();
            publish.mutate({ flowId: flow.id, changelog, expectedRevision: saved.revision });
          }}
        >
          <label>
            <span className="visually-hidden">Changelog</span>
            <input
              value={changelog}
              onChange={(event) => setChangelog(event.target.value)}
              placeholder="What changed?"
              aria-label="Changelog for the new version"
            />
          </label>
          <button type="submit" disabled={dirty || publish.isPending || changelog.trim() === ""}>
            Publish version
          </button>
        </form>
        <div className="panel-switch" role="group" aria-label="Side panel">
          {(["inspector", "problems", "test"] as const).map((name) => (
            <button key={name} type="button" aria-pressed={panel === name} onClick={() => setPanel(name)}>
              {name === "inspector" ? "Inspector" : name === "problems" ? `Problems (${problems.length})` : "Test run"}
            </button>
          ))}
        </div>
        <span className="muted small" data-testid="deployment-state">
          {latest ? `Latest: v${latest.number} (${latest.contentHash.slice(7, 19)})` : "No published version"}
          {deployed ? ` · running v${deployed.versionNumber}` : " · not deployed"}
        </span>
        {latest && deployed?.deployment.flowVersionId !== latest.id && (
          <button type="button" onClick={() => deploy.mutate({ versionId: latest.id })} disabled={deploy.isPending}>
            Deploy v{latest.number}
          </button>
        )}
      </div>
      {showShortcuts && <ShortcutSheet onClose={() => setShowShortcuts(false)} />}
      {conflict && (
        <div className="banner banner-error" role="alert">
          {conflict.message}
          <button type="button" onClick={() => void loadTheirs()}>
            Load their version (discard my changes)
          </button>
          <button type="button" onClick={() => saveNow(conflict.currentRevision)}>
            Keep mine (overwrite theirs)
          </button>
        </div>
      )}
      {connectionHint && (
        <div className="banner banner-warning" role="status">
          Cannot connect: {connectionHint}
        </div>
      )}
      {deploy.data && (
        <div
          className={`banner ${deploy.data.handover.leftBehind.length + deploy.data.alsoProcessedBy.length > 0 ? "banner-warning" : "banner-info"}`}
          role="status"
          data-testid="deploy-notice"
        >
          {deployedNotice(deploy.data)}
          <button type="button" onClick={() => deploy.reset()}>
            Dismiss
          </button>
        </div>
      )}
      {(save.error && !conflict) || publish.error || deploy.error ? (
        <div className="banner banner-error" role="alert">
          {(save.error ?? publish.error ?? deploy.error)!.message}
        </div>
      ) : null}
      <div className="editor-body with-palette">
        <NodePalette onAdd={(nodeType) => addNode(nodeType)} />
        <div
          className="canvas"
          data-testid="canvas"
          ref={canvasRef}
          onPointerMove={(event) => (pointer.current = { x: event.clientX, y: event.clientY })}
          onDragOver={(event) => {
            if (event.dataTransfer.types.includes(PALETTE_MIME)) {
              event.preventDefault();
              event.dataTransfer.dropEffect = "copy";
            }
          }}
          onDrop={onDrop}
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onDelete={onDelete}
            onConnect={onConnect}
            onConnectEnd={() => setTimeout(() => setConnectionHint(null), 4_000)}
            isValidConnection={isValidConnection}
            deleteKeyCode={["Delete", "Backspace"]}
            multiSelectionKeyCode={["Shift", "Meta", "Control"]}
            selectionKeyCode="Shift"
            snapToGrid
            snapGrid={SNAP_GRID}
            fitView={document.nodes.length > 0}
            fitViewOptions={{ maxZoom: 1 }}
            defaultViewport={{ x: 0, y: 0, zoom: 1 }}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <MiniMap pannable zoomable ariaLabel="Flow overview" />
            <Controls />
          </ReactFlow>
        </div>
        {panel === "inspector" ? (
          inspected ? (
            <NodeInspector
              node={inspected}
              document={document}
              focusField={focusField}
              sample={runResult?.traces.find((trace) => trace.nodeId === inspected.id)?.samplesIn[0]}
              onChange={(change) => edit({ kind: "updateNode", nodeId: inspected.id, ...change })}
              onConnect={(connection) => edit({ kind: "connect", connection })}
              onDisconnect={(edgeId) => edit({ kind: "remove", nodeIds: [], edgeIds: [edgeId] })}
            />
          ) : (
            <section className="inspector" aria-label="Inspector">
              <h2>Inspector</h2>
              <p className="muted small">
                Select one node to configure it. Add nodes from the palette (click, or drag onto the canvas); connect an
                output port to an input port by dragging.
              </p>
            </section>
          )
        ) : panel === "problems" ? (
          <ProblemsPanel problems={problems} onFocus={focusProblem} />
        ) : (
          <TestRunPanel
            flowId={flow.id}
            templateId={flow.templateId}
            document={document}
            selectedNodeId={selectedNodes.length === 1 ? selectedNodes[0]!.id : undefined}
            onResult={setRunResult}
          />
        )}
      </div>
    </section>
  );
}

/** What a deploy did with the earlier deployments' state, and which other running flows take the same events. */
function deployedNotice({ handover, alsoProcessedBy }: RouterOutputs["deployments"]["deploy"]): string {
  const parts = ["Deployed."];
  if (handover.windows > 0)
    parts.push(`It carries on ${countOf(handover.windows, "open window")} of the flow's earlier versions.`);
  if (handover.dedupeNodes.length > 0)
    parts.push(`${handover.dedupeNodes.join(", ")} still drops repeats of events they let through.`);
  for (const left of handover.leftBehind)
    parts.push(
      `${countOf(left.windows, "open window")} of v${left.versionNumber} stay with it (${left.reason}) and are billed under v${left.versionNumber} when they close.`,
    );
  for (const other of alsoProcessedBy)
    parts.push(
      `The running flow “${other.flowName}” (v${other.versionNumber}) also takes ${other.eventTypes.join(", ")} events: each is processed, and billed, by both.`,
    );
  return parts.join(" ");
}
