import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { exceptionKinds, type ExceptionKind } from "@meterflow/flow-spec";
import { useState } from "react";
import { countOf } from "../../lib/counting";
import { utcText } from "../../lib/time-text";
import { useTRPC, type RouterOutputs } from "../../lib/trpc";
import { OpsTable } from "./OpsTable";
import { keepRecent, throughputOf, type CountSample } from "./throughput";
import { ReconcileCard, ReplayCard } from "./ReconcileAndReplay";

const REFRESH_MS = 3_000;

/**
 * What operators watch: events and their outcomes, usage records, aggregate windows, postings to
 * the ERP, held approvals and the exception queue, with the actions on each; reconciliation and
 * replay of a range of months.
 */
export function OperationsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const live = { refetchInterval: REFRESH_MS };
  const stats = useQuery(trpc.overview.stats.queryOptions(undefined, live));
  // Throughput from the totals of the last minute's polls, taken in the render that brings a new one.
  const [samples, setSamples] = useState<CountSample[]>([]);
  if (stats.data && stats.dataUpdatedAt !== samples.at(-1)?.atMs) {
    setSamples(
      keepRecent(samples, {
        atMs: stats.dataUpdatedAt,
        stored: stats.data.rawEvents,
        processed: stats.data.rawEvents - stats.data.pendingEvents,
      }),
    );
  }
  const throughput = throughputOf(samples);
  const [findId, setFindId] = useState("");
  const found = findId.trim();
  const events = useQuery(trpc.events.list.queryOptions({ limit: 20, ...(found ? { id: found } : {}) }, live));
  const records = useQuery(trpc.usageRecords.list.queryOptions({ limit: 20 }, live));
  const windows = useQuery(trpc.windows.list.queryOptions(undefined, live));
  const postings = useQuery(trpc.postings.list.queryOptions({}, live));
  const approvals = useQuery(trpc.approvals.list.queryOptions({ status: "pending" }, live));
  const [exceptionKind, setExceptionKind] = useState<ExceptionKind | "">("");
  const [exceptionTenant, setExceptionTenant] = useState("");
  const exceptionFilter = {
    ...(exceptionKind ? { kind: exceptionKind } : {}),
    ...(exceptionTenant.trim() ? { tenant: exceptionTenant.trim() } : {}),
  };
  const exceptions = useQuery(trpc.exceptions.list.queryOptions({ status: "open", ...exceptionFilter }, live));
  // An action here can change every section of the page (counts, windows, postings, exceptions).
  const refresh = () => queryClient.invalidateQueries();
  const closeWindows = useMutation(trpc.windows.close.mutationOptions({ onSuccess: refresh }));
  const decide = useMutation(trpc.approvals.decide.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(trpc.exceptions.retry.mutationOptions({ onSuccess: refresh }));
  const resolve = useMutation(trpc.exceptions.resolve.mutationOptions({ onSuccess: refresh }));
  const retryAll = useMutation(trpc.exceptions.retryAll.mutationOptions({ onSuccess: refresh }));
  const [selected, setSelected] = useState<string[]>([]);
  // Each decision says why, next to its buttons: approvals and resolutions are recorded with it.
  const [decisionComment, setDecisionComment] = useState("");
  const [resolution, setResolution] = useState("");
  const [traced, setTraced] = useState<string | null>(null);
  const actionError = closeWindows.error ?? decide.error ?? retry.error ?? resolve.error ?? retryAll.error;
  const shownExceptionIds = exceptions.data?.map((exception) => exception.id) ?? [];

  return (
    <section className="operations" aria-label="Operations">
      <div className="ops-header">
        <h1>Operations</h1>
        {stats.data && (
          <p className="ops-stats" role="status">
            <span>{countOf(stats.data.rawEvents, "event")} stored</span>
            <span>{stats.data.pendingEvents} waiting</span>
            {throughput && (
              <span title={`Measured over the last ${Math.round(throughput.seconds)} s`}>
                {perSecond(throughput.storedPerSecond)} events/s in, {perSecond(throughput.processedPerSecond)}{" "}
                processed
              </span>
            )}
            <span>{countOf(stats.data.usageRecords, "usage record")}</span>
            <span>
              {Object.entries(stats.data.postings)
                .map(([status, count]) => `${count} ${status}`)
                .join(", ") || "no postings"}
            </span>
            <span>
              {countText(stats.data.openExceptions)} open{" "}
              {stats.data.openExceptions.count === 1 && !stats.data.openExceptions.capped ? "exception" : "exceptions"}
            </span>
            {stats.data.erpPageUrl && (
              <a href={stats.data.erpPageUrl} target="_blank" rel="noreferrer">
                ERP sandbox invoices ↗
              </a>
            )}
          </p>
        )}
        {stats.data?.processingHeldBy && (
          <p className="ops-warning" role="alert">
            Processing waits for a database transaction open for {stats.data.processingHeldBy.seconds} s
            {stats.data.processingHeldBy.application
              ? ` (${stats.data.processingHeldBy.application}, ${stats.data.processingHeldBy.state ?? "running"})`
              : ""}
            : events stored since it began are processed once it ends.
          </p>
        )}
      </div>
      {actionError && (
        <div className="banner banner-error" role="alert">
          {actionError.message}
        </div>
      )}

      <div className="ops-grid">
        <OpsTable
          title="Recent events"
          empty={
            found ? `No event with the id "${found}".` : "No events yet: send one with the curl on the Flows page."
          }
          headers={["Event", "Tenant", "Time", "Outcome"]}
          note={found ? `Events with the id "${found}", from any source, as sent.` : undefined}
          actions={
            <input
              type="search"
              className="ops-inline-input"
              aria-label="Find an event by its id"
              placeholder="Find an event id…"
              value={findId}
              onChange={(event) => setFindId(event.target.value)}
            />
          }
        >
          {events.data?.map((event) => (
            <tr key={event.seq}>
              <td>
                <code>{event.id}</code>
                {event.envelope && (
                  <details>
                    <summary>as sent</summary>
                    <pre>{JSON.stringify(event.envelope, null, 2)}</pre>
                  </details>
                )}
              </td>
              <td>{event.partitionKey}</td>
              <td>{event.time ? utcText(event.time) : "–"}</td>
              <td className={`outcome outcome-${event.outcome ?? "pending"}`}>{event.outcome ?? event.status}</td>
            </tr>
          ))}
        </OpsTable>

        <OpsTable
          title="Usage records"
          empty="No usage records yet."
          headers={["Tenant", "Metric", "Quantity", "Period", "Record"]}
        >
          {records.data?.map((record) => (
            <tr key={`${record.flowVersionId}/${record.recordKey}`}>
              <td>{record.tenantId}</td>
              <td>{record.metric}</td>
              <td className="num">{record.quantity}</td>
              <td>{record.ratingPeriod}</td>
              <td>
                <details>
                  <summary>as made</summary>
                  <pre>{JSON.stringify(record.payload, null, 2)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </OpsTable>

        <OpsTable
          title="Open windows"
          empty="No open aggregate windows."
          note={openWindowsNote(windows.data)}
          headers={["Tenant", "Period start", "Events", "Quantity", "Closes at", "Billed by"]}
          actions={
            <>
              <button
                type="button"
                onClick={() => closeWindows.mutate({ all: false })}
                disabled={closeWindows.isPending}
              >
                Close due windows
              </button>
              <button
                type="button"
                onClick={() => {
                  // Not undone: the periods are billed now, and their later events can only be exceptions.
                  if (
                    window.confirm(
                      "Close every open window now? Their periods are billed now; events that arrive later for them become late_event exceptions.",
                    )
                  )
                    closeWindows.mutate({ all: true });
                }}
                disabled={closeWindows.isPending}
                title="Bills the open periods now; later events for them become late-event exceptions"
              >
                Close all open windows now
              </button>
            </>
          }
        >
          {windows.data?.open.map((window) => {
            const state = window.state as {
              group: Record<string, unknown>;
              start: string;
              count: number;
              measures: Record<string, unknown>;
            };
            return (
              <tr
                key={`${window.deploymentId}:${window.nodeId}:${state.start}:${window.partitionKey}:${JSON.stringify(state.group)}`}
              >
                <td>{String(state.group.tenantId ?? window.partitionKey)}</td>
                <td>{state.start.slice(0, 10)}</td>
                <td className="num">{state.count}</td>
                <td className="num">{String(state.measures.quantity ?? "–")}</td>
                <td>{utcText(window.closesAt)}</td>
                <td>
                  {window.flowName} v{window.versionNumber}
                </td>
              </tr>
            );
          })}
        </OpsTable>

        <OpsTable
          title="Approvals waiting"
          empty="Nothing is held for approval."
          headers={["Item", "Amount", "Role", "Decision"]}
          actions={
            approvals.data &&
            approvals.data.length > 0 && (
              <CommentInput
                label="Why (recorded with the decision)"
                value={decisionComment}
                onChange={setDecisionComment}
              />
            )
          }
        >
          {approvals.data?.map((approval) => {
            const payload = approval.payload as {
              tenantId?: string;
              ratingPeriod?: string;
              total?: { amount: string; currency: string };
            };
            return (
              <tr key={approval.id}>
                <td>
                  {payload.tenantId} {payload.ratingPeriod}
                </td>
                <td className="num">{payload.total ? `${payload.total.amount} ${payload.total.currency}` : "–"}</td>
                <td>{approval.approverRole}</td>
                <td>
                  <button
                    type="button"
                    disabled={decide.isPending || decisionComment.trim().length < 3}
                    title={commentHint(decisionComment)}
                    onClick={() =>
                      decide.mutate({ approvalId: approval.id, decision: "approve", comment: decisionComment })
                    }
                  >
                    Approve
                  </button>{" "}
                  <button
                    type="button"
                    disabled={decide.isPending || decisionComment.trim().length < 3}
                    title={commentHint(decisionComment)}
                    onClick={() =>
                      decide.mutate({ approvalId: approval.id, decision: "reject", comment: decisionComment })
                    }
                  >
                    Reject
                  </button>
                </td>
              </tr>
            );
          })}
        </OpsTable>

        <OpsTable
          wide
          title="Postings to the ERP"
          empty="No postings yet: they are made when a window closes."
          headers={[
            "Operation",
            "Status",
            "Attempts",
            "Next attempt",
            "ERP document",
            "Idempotency key",
            "Last error",
            "Lineage",
          ]}
        >
          {postings.data?.map((posting) => (
            <tr key={posting.id}>
              <td>{posting.operation}</td>
              <td className={`outcome outcome-${posting.status}`}>{posting.status}</td>
              <td className="num">{posting.attempts}</td>
              <td className="nowrap">{posting.status === "pending" ? untilText(posting.nextAttemptAt) : "–"}</td>
              <td>{posting.erpDocumentId ?? "–"}</td>
              <td>
                <code title={posting.idempotencyKey}>{posting.idempotencyKey.slice(0, 12)}…</code>
              </td>
              <td className="small">{posting.lastError ?? ""}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() => setTraced(posting.idempotencyKey)}
                  aria-label={`Trace ${posting.erpDocumentId ?? posting.idempotencyKey.slice(0, 12)}`}
                >
                  Trace
                </button>
              </td>
            </tr>
          ))}
        </OpsTable>
        {traced && <PostingTrace idempotencyKey={traced} onClose={() => setTraced(null)} />}

        <OpsTable
          title="Open exceptions"
          empty="No open exceptions."
          scroll
          wide
          note={
            exceptionKind || exceptionTenant.trim()
              ? undefined
              : exceptionsNote(exceptions.data?.length, stats.data?.openExceptions)
          }
          filters={
            <div className="ops-filters">
              <label>
                Kind
                <select
                  value={exceptionKind}
                  onChange={(event) => setExceptionKind(event.target.value as ExceptionKind | "")}
                >
                  <option value="">any</option>
                  {exceptionKinds.map((kind) => (
                    <option key={kind}>{kind}</option>
                  ))}
                </select>
              </label>
              <label>
                Tenant
                <input
                  className="ops-inline-input"
                  value={exceptionTenant}
                  onChange={(event) => setExceptionTenant(event.target.value)}
                  placeholder="any"
                />
              </label>
              <button
                type="button"
                disabled={retryAll.isPending}
                onClick={() => retryAll.mutate(exceptionFilter, { onSuccess: () => setSelected([]) })}
              >
                Retry all {exceptionKind || exceptionTenant.trim() ? "matching" : "open"}
              </button>
              {retryAll.data && (
                <span className="small" role="status">
                  {retryAllText(retryAll.data)}
                </span>
              )}
            </div>
          }
          headers={[
            <input
              key="all"
              type="checkbox"
              aria-label="Select every exception listed"
              checked={shownExceptionIds.length > 0 && shownExceptionIds.every((id) => selected.includes(id))}
              onChange={(event) => setSelected(event.target.checked ? shownExceptionIds : [])}
            />,
            "Kind",
            "Tenant",
            "Event",
            "Reason",
            "Raised at node",
            "Raised",
          ]}
          actions={
            <>
              <CommentInput label="Why resolved" value={resolution} onChange={setResolution} />
              <button
                type="button"
                disabled={selected.length === 0 || retry.isPending}
                onClick={() => retry.mutate({ ids: selected }, { onSuccess: () => setSelected([]) })}
              >
                Retry selected ({selected.length})
              </button>
              <button
                type="button"
                disabled={selected.length === 0 || resolution.trim().length < 3 || resolve.isPending}
                title={selected.length === 0 ? "Select the exceptions to resolve" : commentHint(resolution)}
                onClick={() =>
                  resolve.mutate({ ids: selected, comment: resolution }, { onSuccess: () => setSelected([]) })
                }
              >
                Resolve selected
              </button>
            </>
          }
        >
          {exceptions.data?.map((exception) => (
            <tr key={exception.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select exception ${exception.kind} ${exception.eventKeys[0] ?? exception.partitionKey ?? ""}`}
                  checked={selected.includes(exception.id)}
                  onChange={(event) =>
                    setSelected((current) =>
                      event.target.checked ? [...current, exception.id] : current.filter((id) => id !== exception.id),
                    )
                  }
                />
              </td>
              <td>{exception.kind}</td>
              <td>{exception.partitionKey ?? "–"}</td>
              <td className="nowrap">
                {exception.eventKeys.length > 0 ? <code>{exception.eventKeys[0]}</code> : "–"}
                {exception.eventKeys.length > 1 && (
                  <span className="muted small"> +{exception.eventKeys.length - 1}</span>
                )}
              </td>
              <td className="small">{exception.reason}</td>
              <td>{exception.raisedBy ?? exception.nodeId ?? "–"}</td>
              <td className="nowrap">{utcText(exception.createdAt)}</td>
            </tr>
          ))}
        </OpsTable>
      </div>
      <ReconcileCard />
      <ReplayCard />
    </section>
  );
}

/** An ERP posting traced back to its windows, the price list used, the raw events and the flow version. */
function PostingTrace({ idempotencyKey, onClose }: { idempotencyKey: string; onClose: () => void }) {
  const trpc = useTRPC();
  const trace = useQuery(trpc.lineage.tracePosting.queryOptions({ idempotencyKey }));
  return (
    <section className="ops-card ops-span" aria-label="Posting lineage">
      <div className="ops-card-head">
        <h2>Lineage of {trace.data?.posting.erpDocumentId ?? `${idempotencyKey.slice(0, 12)}…`}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {trace.error && <p className="error">{trace.error.message}</p>}
      {trace.data && (
        <>
          <p className="small">
            {trace.data.posting.endpoint} {trace.data.posting.operation}, {trace.data.posting.status}; made by flow
            version{" "}
            {trace.data.flowVersion
              ? `v${trace.data.flowVersion.number} (${trace.data.flowVersion.contentHash.slice(7, 19)})`
              : "?"}
          </p>
          <ol className="trace">
            {trace.data.items.map((item) => (
              <li key={item.itemId}>
                <strong>
                  {item.window
                    ? `${item.window.tenantId} · ${item.window.metric} · ${item.window.ratingPeriod}`
                    : item.itemId}
                </strong>{" "}
                —{" "}
                {item.window
                  ? `${item.window.quantity} from ${countOf(item.window.eventCount, "event")}`
                  : "window not found"}
                {item.pricingRuleVersion && <>, priced with {item.pricingRuleVersion}</>}
                <ul>
                  {item.events.map((event) => (
                    <li key={event.seq} className="mono small">
                      {event.source} {event.id} {event.time ? new Date(event.time).toISOString() : ""} {event.outcome}
                    </li>
                  ))}
                  {item.eventCount > item.events.length && (
                    <li className="muted small">… and {item.eventCount - item.events.length} more</li>
                  )}
                </ul>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** Says when the open windows listed (those closing soonest) are not all of them. */
function openWindowsNote(data: RouterOutputs["windows"]["list"] | undefined): string | undefined {
  if (!data || data.openCount.count <= data.open.length) return undefined;
  return `The ${data.open.length} closing soonest of ${countText(data.openCount)} open windows.`;
}

/** Says when the exceptions listed (the latest) are not all the open ones. */
function exceptionsNote(
  shown: number | undefined,
  open: RouterOutputs["overview"]["stats"]["openExceptions"] | undefined,
): string | undefined {
  if (shown === undefined || !open || open.count <= shown) return undefined;
  return `The ${shown} latest of ${countText(open)} open exceptions.`;
}

function commentHint(comment: string): string | undefined {
  return comment.trim().length < 3 ? "Say why first (at least 3 characters)" : undefined;
}

function CommentInput({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <input
      className="ops-inline-input"
      aria-label={label}
      placeholder={`${label}…`}
      value={value}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** What a retry of all matching exceptions did, and whether to press again. */
function retryAllText({ tried, outcomes, more }: RouterOutputs["exceptions"]["retryAll"]): string {
  if (tried === 0) return "Nothing to retry.";
  const done = [
    `${outcomes.resolved} resolved`,
    `${outcomes.still_failing} still failing`,
    ...(outcomes.queued ? [`${outcomes.queued} queued`] : []),
  ].join(", ");
  return `Retried ${tried}: ${done}.${more ? " More remain: retry again." : ""}`;
}

/** When a retry is due, from now: "in 40 s", "in 3 min", or "due". */
function untilText(at: string | Date): string {
  const seconds = Math.round((new Date(at).getTime() - Date.now()) / 1000);
  if (seconds <= 0) return "due";
  return seconds < 120 ? `in ${seconds} s` : `in ${Math.round(seconds / 60)} min`;
}

/** A rate as people read it: "0.2", "12", "1,234". */
function perSecond(rate: number): string {
  return rate < 10 ? rate.toFixed(1).replace(/\.0$/, "") : Math.round(rate).toLocaleString("en-US");
}

/** A count the server stops at a cap ("10000+" beyond it). */
function countText({ count, capped }: RouterOutputs["overview"]["stats"]["openExceptions"]): string {
  return `${count}${capped ? "+" : ""}`;
}
