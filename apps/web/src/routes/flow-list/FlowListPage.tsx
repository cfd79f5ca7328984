import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FLOW_API_VERSION } from "@meterflow/flow-spec";
import { useState } from "react";
import { navigate } from "../../lib/navigation";
import { utcText } from "../../lib/time-text";
import { useTRPC } from "../../lib/trpc";
import { FlowThumbnail } from "../../canvas/FlowThumbnail";
import { SendEventsCard } from "./SendEventsCard";

export function FlowListPage() {
  const trpc = useTRPC();
  const flows = useQuery(trpc.flows.list.queryOptions());
  const [choosingTemplate, setChoosingTemplate] = useState(false);
  const create = useMutation(trpc.flows.create.mutationOptions({ onSuccess: (flow) => navigate(`/flows/${flow.id}`) }));

  return (
    <section className="page">
      <div className="page-header">
        <h1>Flows</h1>
        <div className="page-actions">
          <button type="button" className="primary" onClick={() => setChoosingTemplate(true)}>
            New flow from template
          </button>
          <button
            type="button"
            onClick={() =>
              create.mutate({
                document: {
                  apiVersion: FLOW_API_VERSION,
                  kind: "Flow",
                  metadata: { name: `Untitled flow ${utcText(new Date())}`, owner: "local-engineer" },
                  nodes: [],
                  edges: [],
                },
              })
            }
            disabled={create.isPending}
          >
            New empty flow
          </button>
        </div>
      </div>
      {create.error && (
        <p className="error" role="alert">
          Could not create the flow: {create.error.message}
        </p>
      )}
      {choosingTemplate && <TemplatePicker onClose={() => setChoosingTemplate(false)} />}
      {flows.isPending && <p className="muted">Loading flows…</p>}
      {flows.error && (
        <p className="error" role="alert">
          Could not load flows: {flows.error.message}
        </p>
      )}
      {flows.data && flows.data.length === 0 && <p className="muted">No flows yet. Start from a template.</p>}
      {flows.data && flows.data.length > 0 && (
        <table className="flow-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Nodes</th>
              <th scope="col">Published</th>
              <th scope="col">Running</th>
              <th scope="col">Draft revision</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {flows.data.map((flow) => (
              <tr key={flow.id}>
                <td>
                  <a
                    href={`/flows/${flow.id}`}
                    onClick={(event) => {
                      event.preventDefault();
                      navigate(`/flows/${flow.id}`);
                    }}
                  >
                    {flow.name}
                  </a>
                  <div className="muted small">{flow.description}</div>
                </td>
                <td>{flow.nodeCount}</td>
                <td>{flow.latestVersion ? `v${flow.latestVersion}` : "not yet"}</td>
                <td>{flow.runningVersion ? `v${flow.runningVersion}` : "not deployed"}</td>
                <td>{flow.revision}</td>
                <td>
                  {flow.updatedAt.toLocaleString()} by {flow.updatedBy}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <SendEventsCard />
    </section>
  );
}

function TemplatePicker({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const templates = useQuery(trpc.templates.list.queryOptions());
  const instantiate = useMutation(
    trpc.templates.instantiate.mutationOptions({
      onSuccess: async (flow) => {
        await queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
        navigate(`/flows/${flow.id}`);
      },
    }),
  );
  return (
    <div className="dialog" role="dialog" aria-modal="false" aria-labelledby="template-picker-title">
      <div className="dialog-header">
        <h2 id="template-picker-title">Start from a template</h2>
        <button type="button" onClick={onClose} aria-label="Close template picker">
          ×
        </button>
      </div>
      {templates.isPending && <p className="muted">Loading templates…</p>}
      <ul className="template-list">
        {templates.data?.map((template) => (
          <li key={template.id} className="template-card">
            <FlowThumbnail document={template.document} />
            <h3>{template.name}</h3>
            <p className="small">{template.description}</p>
            <p className="muted small">
              {template.nodeCount} nodes · {template.edgeCount} connections · {template.tags.join(", ")}
            </p>
            <button
              type="button"
              className="primary"
              disabled={instantiate.isPending}
              onClick={() => instantiate.mutate({ templateId: template.id })}
            >
              Use “{template.name}”
            </button>
          </li>
        ))}
      </ul>
      {instantiate.error && (
        <p className="error" role="alert">
          {instantiate.error.message}
        </p>
      )}
    </div>
  );
}
