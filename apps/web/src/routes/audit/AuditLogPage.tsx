import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { utcText } from "../../lib/time-text";
import { useTRPC, type RouterOutputs } from "../../lib/trpc";

/** The kinds of entity the audit log records actions on, for its filter. */
const entityKinds = [
  ["", "Everything"],
  ["flow", "Flows and their versions"],
  ["deployment", "Deployments"],
  ["exception", "Exceptions"],
  ["approval", "Approvals"],
] as const;

type AuditEntry = RouterOutputs["audit"]["list"][number];

/**
 * The append-only audit log: every state change (drafts saved, versions published, deploys,
 * exception retries and resolutions, approvals, backfills), who made it, when and why.
 */
export function AuditLogPage() {
  const trpc = useTRPC();
  const [entityType, setEntityType] = useState("");
  const entries = useQuery(
    trpc.audit.list.queryOptions({ limit: 200, ...(entityType ? { entityType } : {}) }, { refetchInterval: 5_000 }),
  );
  return (
    <section className="page" aria-label="Audit log">
      <div className="page-header">
        <h1>Audit log</h1>
        <label className="inline-field">
          Show
          <select value={entityType} onChange={(event) => setEntityType(event.target.value)}>
            {entityKinds.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small">
        Append-only: entries are never changed or removed. The latest 200 are shown, newest first.
      </p>
      {entries.error && <p className="error">{entries.error.message}</p>}
      {entries.data && entries.data.length === 0 && <p className="muted">Nothing recorded yet.</p>}
      {entries.data && entries.data.length > 0 && (
        <table className="audit-table">
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">On</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((entry) => (
              <tr key={entry.id}>
                <td className="nowrap">{utcText(entry.at, "second")}</td>
                <td>{entry.actorName || entry.actor}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>
                  {entry.entityType} <code className="muted">{entry.entityId.slice(0, 8)}</code>
                </td>
                <td className="small">{detailsText(entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The comment first (why), then the other details as key: value. */
function detailsText(entry: AuditEntry): string {
  const { comment, ...rest } = entry.details as { comment?: unknown } & Record<string, unknown>;
  const others = Object.entries(rest).map(
    ([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`,
  );
  return [typeof comment === "string" ? `“${comment}”` : undefined, ...others].filter(Boolean).join(" · ");
}
