import type { FlowDocument, Problem } from "@meterflow/flow-spec";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useNodesState, useReactFlow, type NodeTypes } from "@xyflow/react";
import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useMemo, useState } from "react";
import { FlowNodeView } from "../../canvas/FlowNodeView";
import { canvasToDocument, documentToCanvas, type CanvasNode } from "../../canvas/model/document-to-canvas";
import { useTRPC, type ApiErrorData, type RouterOutputs } from "../../lib/trpc";
import { ProblemsPanel } from "./ProblemsPanel";
import { TestRunPanel, type TestRunResult } from "./TestRunPanel";

const nodeTypes: NodeTypes = { flowNode: FlowNodeView };
/** Whole-pixel grid positions: what the canvas shows is exactly what the document stores. */
const SNAP_GRID: [number, number] = [10, 10];

type LoadedFlow = RouterOutputs["flows"]["get"];

export function FlowPage({ flowId }: { flowId: string }) {
  const trpc = useTRPC();
  const flow = useQuery(trpc.flows.get.queryOptions({ id: flowId }));
  if (flow.isPending) return <p className="page muted">Loading flow…</p>;
  if (flow.error) return <p className="page error" role="alert">Could not load this flow: {flow.error.message}</p>;
  return (
    <ReactFlowProvider>
      {/* Remount the editor when another revision is loaded, so canvas state is derived afresh. */}
      <FlowEditor key={flow.data.revision} flow={flow.data} />
    </ReactFlowProvider>
  );
}

function FlowEditor({ flow }: { flow: LoadedFlow }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [runResult, setRunResult] = useState<TestRunResult | null>(null);
  const [panel, setPanel] = useState<"problems" | "test">("problems");
  const runCounts = useMemo(() => new Map((runResult?.traces ?? []).map((trace) => [trace.nodeId, { received: trace.received, emitted: trace.emitted }])), [runResult]);
  const initial = useMemo(() => documentToCanvas(flow.draft, flow.problems, runCounts), [flow, runCounts]);
  const [nodes, setNodes, onNodesChange] = useNodesState<CanvasNode>(initial.nodes);
  // New run counts refresh node data but keep where the user has moved nodes.
  useEffect(() => {
    setNodes((current) => current.map((node) => ({ ...node, data: initial.nodes.find((fresh) => fresh.id === node.id)?.data ?? node.data })));
  }, [initial, setNodes]);
  const [serverProblems, setServerProblems] = useState<Problem[] | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [changelog, setChangelog] = useState("");
  const { setCenter, getNode } = useReactFlow();

  const document: FlowDocument = useMemo(() => canvasToDocument(flow.draft, nodes), [flow.draft, nodes]);
  const dirty = useMemo(() => JSON.stringify(document.nodes) !== JSON.stringify(flow.draft.nodes), [document, flow.draft]);

  const save = useMutation(
    trpc.flows.saveDraft.mutationOptions({
      onSuccess: async () => {
        setServerProblems(null);
        await queryClient.invalidateQueries({ queryKey: trpc.flows.get.queryKey({ id: flow.id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
      },
      onError: (error) => {
        const data = (error instanceof TRPCClientError ? error.data : null) as (ApiErrorData & { code?: string }) | null;
        if (data?.code === "CONFLICT") setConflict(error.message);
        if (data?.problems) setServerProblems(data.problems);
      },
    }),
  );
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
  const deployments = useQuery(trpc.runtime.deployments.queryOptions());
  const deploy = useMutation(trpc.runtime.deploy.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.runtime.deployments.queryKey() }) }));
  const deployed = deployments.data?.find((row) => row.deployment.flowId === flow.id && row.deployment.status === "active");
  const latest = versions.data?.[0];

  const saveNow = useCallback(() => {
    if (dirty && !save.isPending) save.mutate({ id: flow.id, expectedRevision: flow.revision, document });
  }, [dirty, save, flow.id, flow.revision, document]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        saveNow();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [saveNow]);

  const focusNode = useCallback(
    (nodeId: string) => {
      const node = getNode(nodeId);
      if (node) void setCenter(node.position.x + 100, node.position.y + 40, { zoom: 1.2, duration: 300 });
    },
    [getNode, setCenter],
  );

  const problems = serverProblems ?? flow.problems;
  const status = save.isPending ? "Saving…" : dirty ? "Unsaved changes" : `Saved (revision ${flow.revision})`;

  return (
    <section className="editor">
      <div className="editor-toolbar">
        <h1 className="editor-title">{flow.name}</h1>
        <span className={`save-state${dirty ? " unsaved" : ""}`} role="status" aria-live="polite">
          {status}
        </span>
        <button type="button" className="primary" onClick={saveNow} disabled={!dirty || save.isPending} title="Save (Ctrl+S)">
          Save
        </button>
        <form
          className="publish-form"
          onSubmit={(event) => {
            event.preventDefault();
            publish.mutate({ flowId: flow.id, changelog, expectedRevision: flow.revision });
          }}
        >
          <label>
            <span className="visually-hidden">Changelog</span>
            <input value={changelog} onChange={(event) => setChangelog(event.target.value)} placeholder="What changed?" aria-label="Changelog for the new version" />
          </label>
          <button type="submit" disabled={dirty || publish.isPending || changelog.trim() === ""}>
            Publish version
          </button>
        </form>
        <div className="panel-switch" role="group" aria-label="Side panel">
          <button type="button" aria-pressed={panel === "problems"} onClick={() => setPanel("problems")}>
            Problems
          </button>
          <button type="button" aria-pressed={panel === "test"} onClick={() => setPanel("test")}>
            Test run
          </button>
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
      {conflict && (
        <div className="banner banner-error" role="alert">
          {conflict}
          <button type="button" onClick={() => void queryClient.invalidateQueries({ queryKey: trpc.flows.get.queryKey({ id: flow.id }) })}>
            Load the newer revision (discard my moves)
          </button>
        </div>
      )}
      {(save.error && !conflict && !serverProblems) || publish.error || deploy.error ? (
        <div className="banner banner-error" role="alert">
          {(save.error ?? publish.error ?? deploy.error)!.message}
        </div>
      ) : null}
      <div className="editor-body">
        <div className="canvas" data-testid="canvas">
          <ReactFlow
            nodes={nodes}
            edges={initial.edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            nodesConnectable={false}
            snapToGrid
            snapGrid={SNAP_GRID}
            fitView
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <MiniMap pannable zoomable ariaLabel="Flow overview" />
            <Controls />
          </ReactFlow>
        </div>
        {panel === "problems" ? (
          <ProblemsPanel problems={problems} onFocusNode={focusNode} />
        ) : (
          <TestRunPanel flowId={flow.id} templateId={flow.templateId} dirty={dirty} onResult={setRunResult} />
        )}
      </div>
    </section>
  );
}
