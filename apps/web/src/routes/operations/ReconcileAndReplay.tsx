import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { countOf } from "../../lib/counting";
import { useTRPC } from "../../lib/trpc";

/** A month input's value ("2026-11") as the instant it starts, or the one after it ends. */
function monthStart(month: string, after = false): string {
  const [year, monthIndex] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, monthIndex - 1 + (after ? 1 : 0), 1)).toISOString();
}

function currentMonth(offset = 0): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString().slice(0, 7);
}

/** The months and tenant both cards ask for. */
function useRange() {
  const [from, setFrom] = useState(currentMonth(-2));
  const [to, setTo] = useState(currentMonth());
  const [tenant, setTenant] = useState("");
  const fields = (
    <>
      <label>
        From month <input type="month" value={from} onChange={(event) => setFrom(event.target.value)} required />
      </label>
      <label>
        To month (included) <input type="month" value={to} onChange={(event) => setTo(event.target.value)} required />
      </label>
      <label>
        Tenant <input value={tenant} onChange={(event) => setTenant(event.target.value)} placeholder="all" size={10} />
      </label>
    </>
  );
  const range = () => ({
    from: monthStart(from),
    to: monthStart(to, true),
    ...(tenant.trim() ? { tenant: tenant.trim() } : {}),
  });
  return { fields, range };
}

/**
 * Reconciliation per tenant, metric and month: raw events, usage records, aggregates, what was
 * posted and what the ERP holds, with every difference explained.
 */
export function ReconcileCard() {
  const trpc = useTRPC();
  const { fields, range } = useRange();
  const [asked, setAsked] = useState<ReturnType<typeof range> | null>(null);
  const report = useQuery({
    ...trpc.reconciliation.run.queryOptions(asked ?? { from: "", to: "" }),
    enabled: asked !== null,
  });
  return (
    <section className="ops-card ops-wide" aria-label="Reconciliation">
      <div className="ops-card-head">
        <h2>Reconciliation</h2>
      </div>
      <form
        className="ops-form"
        onSubmit={(event) => {
          event.preventDefault();
          const next = range();
          // The same months again: ask again, the numbers may have moved.
          if (asked && JSON.stringify(asked) === JSON.stringify(next)) void report.refetch();
          else setAsked(next);
        }}
      >
        {fields}
        <button type="submit">Reconcile</button>
      </form>
      {report.error && <p className="error">{report.error.message}</p>}
      {report.data && (
        <>
          <table>
            <thead>
              <tr>
                {[
                  "Tenant",
                  "Metric",
                  "Period",
                  "Events (validated)",
                  "Records",
                  "Aggregated (open/closed)",
                  "Posted",
                  "In the ERP",
                ].map((header) => (
                  <th key={header} scope="col">
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.data.rows.map((row) => (
                <tr key={`${row.tenant}/${row.metric}/${row.period}`}>
                  <td>{row.tenant}</td>
                  <td>{row.metric}</td>
                  <td>{row.period}</td>
                  <td className="num">
                    {row.rawEvents} ({row.validatedEvents})
                  </td>
                  <td className="num">
                    {row.records.count} · {row.records.quantity}
                  </td>
                  <td className="num">
                    {row.aggregates.events} · {row.aggregates.quantity} ({row.aggregates.open}/{row.aggregates.closed})
                  </td>
                  <td className="num">{linesAndAmount(row.posted)}</td>
                  <td className="num">{row.erp ? linesAndAmount(row.erp) : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.data.rows.length === 0 && <p className="muted small">No events in these months.</p>}
          <h3 className="small">Differences</h3>
          {report.data.differences.length === 0 ? (
            <p className="small" role="status">
              No differences: every event is accounted for from ingestion to the ERP.
            </p>
          ) : (
            <ul className="small" aria-label="Differences">
              {report.data.differences.map((difference) => (
                <li key={`${difference.tenant}/${difference.metric}/${difference.period}/${difference.check}`}>
                  <strong>
                    {difference.tenant} {difference.metric} {difference.period}
                  </strong>{" "}
                  {difference.check.replaceAll("_", " ")}: expected {difference.expected}, found {difference.actual}.{" "}
                  {difference.explanation}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

/**
 * Replay of stored events through a chosen flow version: a dry run lists every difference from
 * what was produced; a backfill adds only what no version of the flow made.
 */
export function ReplayCard() {
  const trpc = useTRPC();
  const { fields, range } = useRange();
  const flows = useQuery(trpc.flows.list.queryOptions());
  const [flowId, setFlowId] = useState("");
  // By default the flow the runtime runs, at the version it runs.
  const flow =
    flows.data?.find((candidate) => candidate.id === flowId) ??
    flows.data?.find((candidate) => candidate.runningVersion) ??
    flows.data?.find((candidate) => candidate.latestVersion);
  const chosenFlow = flow?.id ?? "";
  const versions = useQuery({ ...trpc.versions.list.queryOptions({ flowId: chosenFlow }), enabled: chosenFlow !== "" });
  const [versionId, setVersionId] = useState("");
  const chosenVersion = versions.data?.some((version) => version.id === versionId)
    ? versionId
    : (versions.data?.find((version) => version.number === flow?.runningVersion)?.id ?? versions.data?.[0]?.id ?? "");
  const [mode, setMode] = useState<"dry_run" | "backfill">("dry_run");
  const replay = useMutation(trpc.replay.run.mutationOptions());
  const result = replay.data;
  return (
    <section className="ops-card ops-wide" aria-label="Replay">
      <div className="ops-card-head">
        <h2>Replay</h2>
      </div>
      <form
        className="ops-form"
        onSubmit={(event) => {
          event.preventDefault();
          replay.mutate({ flowVersionId: chosenVersion, mode, ...range() });
        }}
      >
        <label>
          Flow{" "}
          <select value={chosenFlow} onChange={(event) => setFlowId(event.target.value)}>
            {flows.data
              ?.filter((flow) => flow.latestVersion)
              .map((flow) => (
                <option key={flow.id} value={flow.id}>
                  {flow.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          Version{" "}
          <select value={chosenVersion} onChange={(event) => setVersionId(event.target.value)}>
            {versions.data?.map((version) => (
              <option key={version.id} value={version.id}>
                v{version.number}
              </option>
            ))}
          </select>
        </label>
        {fields}
        <fieldset className="ops-modes">
          <legend className="visually-hidden">Mode</legend>
          <label>
            <input type="radio" name="replay-mode" checked={mode === "dry_run"} onChange={() => setMode("dry_run")} />{" "}
            Dry run (compare, store nothing)
          </label>
          <label>
            <input type="radio" name="replay-mode" checked={mode === "backfill"} onChange={() => setMode("backfill")} />{" "}
            Backfill (store and post what is missing)
          </label>
        </fieldset>
        <button type="submit" disabled={!chosenVersion || replay.isPending}>
          Replay
        </button>
      </form>
      {replay.error && <p className="error">{replay.error.message}</p>}
      {result && (
        <div className="small" role="status" aria-label="Replay result">
          <p>
            {result.mode === "dry_run" ? "Dry run" : "Backfill"} of {countOf(result.events, "event")}:{" "}
            {result.outcomes.validated} validated, {countOf(result.outcomes.duplicate, "duplicate")},{" "}
            {countOf(result.outcomes.exception, "exception")}; {countOf(result.summaries.length, "window")} summarised,{" "}
            {countOf(result.postings.length, "posting")}.
            {result.stored &&
              ` Stored ${countOf(result.stored.records, "record")}, ${countOf(result.stored.summaries, "summary", "summaries")} and ${countOf(result.stored.postings, "posting")}.`}
          </p>
          {result.alreadySummarised.length > 0 && (
            <p>
              {countOf(result.alreadySummarised.length, "window")}{" "}
              {result.alreadySummarised.length === 1 ? "was" : "were"} summarised before (
              {versionsOf(result.alreadySummarised)})
              {result.mode === "backfill" ? ": not summarised or posted again." : "."}
            </p>
          )}
          {result.openInRuntime.length > 0 && (
            <p>
              {countOf(result.openInRuntime.length, "window")} {result.openInRuntime.length === 1 ? "is" : "are"} open
              in the runtime ({versionsOf(result.openInRuntime)}): it bills them when they close
              {result.mode === "backfill" ? ", so the backfill left them." : "."}
            </p>
          )}
          {result.partialWindows.length > 0 && (
            <p>
              {countOf(result.partialWindows.length, "window")} reach{result.partialWindows.length === 1 ? "es" : ""}{" "}
              beyond the months chosen: reported, not closed.
            </p>
          )}
          {result.mode === "dry_run" &&
            (result.differences.length === 0 ? (
              <p>No differences from what was produced.</p>
            ) : (
              <ul aria-label="Replay differences">
                {result.differences.slice(0, 50).map((difference) => (
                  <li key={`${difference.kind}/${difference.key}`}>
                    <strong>{difference.kind.replaceAll("_", " ")}</strong>{" "}
                    <span className="mono">{difference.key}</span>: produced {JSON.stringify(difference.produced)},
                    replay {JSON.stringify(difference.replayed)}
                  </li>
                ))}
                {result.differences.length > 50 && (
                  <li className="muted">… and {result.differences.length - 50} more</li>
                )}
              </ul>
            ))}
        </div>
      )}
    </section>
  );
}

/** The versions that hold some windows, once each: "v1, v2". */
function versionsOf(windows: readonly { versionNumber: number }[]): string {
  return [...new Set(windows.map((window) => `v${window.versionNumber}`))].join(", ");
}

/** "1 line · 150.00 EUR": the lines posted (or held by the ERP) and their amount in its currency. */
function linesAndAmount({
  lines,
  amount,
  currencies,
}: {
  lines: number;
  amount: string;
  currencies: string[];
}): string {
  return `${countOf(lines, "line")} · ${[amount, ...currencies].join(" ")}`;
}
