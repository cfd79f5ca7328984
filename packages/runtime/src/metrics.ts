import { workspaces, type CappedCount, type Database, type EventOutcome } from "@meterflow/db";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { IngestSummary } from "./ingest-events";
import type { DispatchReport } from "./outbox/dispatch-postings";
import { countOpenWindows, type CloseReport } from "./processing/close-windows";
import { workspaceCounts, type WorkspaceCounts } from "./operations/workspace-counts";

/**
 * The runtime's Prometheus metrics, served at /metrics: what this process did (requests, events
 * ingested and processed, ERP deliveries, with the acknowledgement and batch latencies) and, read
 * from the database at each scrape, the state every process shares (events stored and pending,
 * usage records, postings by status, open exceptions and windows) per workspace.
 */
export function createRuntimeMetrics(db: Database, { processMetrics = true }: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const ingestRequests = new Counter({
    name: "meterflow_ingest_requests_total",
    help: "Requests to POST /v1/events, by HTTP status answered",
    labelNames: ["status"],
    registers,
  });
  const ingestDuration = new Histogram({
    name: "meterflow_ingest_request_duration_seconds",
    help: "Time from a request to POST /v1/events arriving to its answer (an event is acknowledged once stored)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const ingestedEvents = new Counter({
    name: "meterflow_ingest_events_total",
    help: "Events received by this process, by how ingestion answered (stored, duplicate, invalid)",
    labelNames: ["outcome"],
    registers,
  });
  const processedEvents = new Counter({
    name: "meterflow_processed_events_total",
    help: "Events processed by this process's workers, by outcome (validated, duplicate, exception)",
    labelNames: ["outcome"],
    registers,
  });
  const batchDuration = new Histogram({
    name: "meterflow_processing_batch_duration_seconds",
    help: "Time a micro-batch took, from claiming its partitions to committing its outputs",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const closedWindows = new Counter({
    name: "meterflow_windows_closed_total",
    help: "Aggregate windows this process's scheduler closed (their summaries rated and posted or held)",
    registers,
  });
  const deliveries = new Counter({
    name: "meterflow_erp_deliveries_total",
    help: "Postings this process's outbox dispatcher handled, by result (posted, retrying, failed, deferred)",
    labelNames: ["result"],
    registers,
  });

  // The shared state, read once per scrape for all the gauges below (a scrape collects them all at once).
  let reading: Promise<{ workspace: string; counts: StateCounts }[]> | undefined;
  const readState = () => (reading ??= readAllWorkspaces(db).finally(() => (reading = undefined)));
  const stateGauge = (name: string, help: string, value: (counts: StateCounts) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["workspace"],
      registers,
      async collect() {
        this.reset();
        for (const { workspace, counts } of await readState()) this.set({ workspace }, value(counts));
      },
    });
  stateGauge(
    "meterflow_events_stored",
    "Events stored ever (by all processes), per workspace",
    (counts) => counts.rawEvents,
  );
  stateGauge(
    "meterflow_events_pending",
    "Events stored and not processed yet, per workspace: the processing lag",
    (counts) => counts.pendingEvents,
  );
  stateGauge("meterflow_usage_records", "Usage records made ever, per workspace", (counts) => counts.usageRecords);
  stateGauge(
    "meterflow_exceptions_open",
    "Open exceptions per workspace, counted up to 10,000",
    (counts) => counts.openExceptions.count,
  );
  stateGauge(
    "meterflow_windows_open",
    "Open aggregate windows per workspace, counted up to 10,000",
    (counts) => counts.openWindows.count,
  );
  new Gauge({
    name: "meterflow_postings",
    help: "Postings to the ERP per workspace and status (pending, held, delivering, posted, failed)",
    labelNames: ["workspace", "status"],
    registers,
    async collect() {
      this.reset();
      for (const { workspace, counts } of await readState())
        for (const [status, total] of Object.entries(counts.postings)) this.set({ workspace, status }, total);
    },
  });

  return {
    registry,
    /** Times a request to POST /v1/events: call at its arrival, and the returned function with its status once answered. */
    ingestRequestStarted() {
      const stop = ingestDuration.startTimer();
      return (status: number) => {
        stop();
        ingestRequests.inc({ status: String(status) });
      };
    },
    ingested(summary: Pick<IngestSummary, "stored" | "duplicates" | "invalid">) {
      ingestedEvents.inc({ outcome: "stored" }, summary.stored);
      ingestedEvents.inc({ outcome: "duplicate" }, summary.duplicates);
      ingestedEvents.inc({ outcome: "invalid" }, summary.invalid);
    },
    processed(outcomes: Record<EventOutcome, number>, seconds: number) {
      for (const [outcome, events] of Object.entries(outcomes)) processedEvents.inc({ outcome }, events);
      batchDuration.observe(seconds);
    },
    closed(report: Pick<CloseReport, "windows">) {
      closedWindows.inc(report.windows);
    },
    dispatched(report: DispatchReport) {
      for (const result of ["posted", "retrying", "failed", "deferred"] as const)
        deliveries.inc({ result }, report[result]);
    },
    /** Reports each endpoint's circuit breaker (1 while open) from the dispatcher that keeps them. */
    watchCircuits(endpoints: string[], isOpen: (endpoint: string) => boolean) {
      registry.removeSingleMetric("meterflow_erp_circuit_open");
      new Gauge({
        name: "meterflow_erp_circuit_open",
        help: "1 while the circuit breaker of an ERP endpoint is open (calls paused after consecutive failures), else 0",
        labelNames: ["endpoint"],
        registers,
        collect() {
          for (const endpoint of endpoints) this.set({ endpoint }, isOpen(endpoint) ? 1 : 0);
        },
      });
    },
  };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;

type StateCounts = WorkspaceCounts & { openWindows: CappedCount };

async function readAllWorkspaces(db: Database) {
  const ids = await db.select({ id: workspaces.id }).from(workspaces);
  return Promise.all(
    ids.map(async ({ id }) => {
      const [counts, openWindows] = await Promise.all([workspaceCounts(db, id), countOpenWindows(db, id)]);
      return { workspace: id, counts: { ...counts, openWindows } };
    }),
  );
}
