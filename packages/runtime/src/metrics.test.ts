import type { DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestEvents } from "./ingest-events";
import { createRuntimeMetrics } from "./metrics";
import { erpSandboxEndpoint } from "./outbox/dispatch-postings";
import { startRuntime } from "./runtime-service";
import { apiCall, deployedBillingFlow, WORKSPACE } from "./testing/runtime-fixture";

describe.each(databaseCases())("the runtime's metrics on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await deployedBillingFlow(handle.db);
  });
  afterAll(async () => handle?.close());

  it("count what was ingested, processed and delivered, and read the shared state from the database at each scrape", async () => {
    const metrics = createRuntimeMetrics(handle.db, { processMetrics: false });
    /** A metric's value (or a histogram's _count or _sum) for the labels given (0 when it has none yet). */
    const value = async (name: string, labels: Record<string, string> = {}) => {
      const metric = (await metrics.registry.getMetricsAsJSON()).find(
        (candidate) =>
          candidate.name === name || name === `${candidate.name}_count` || name === `${candidate.name}_sum`,
      );
      if (!metric) throw new Error(`no metric ${name}`);
      const sample = (
        metric.values as { value: number; labels: Record<string, string | number>; metricName?: string }[]
      ).find(
        (candidate) =>
          (candidate.metricName ?? name) === name &&
          Object.entries(labels).every(([label, expected]) => String(candidate.labels[label]) === expected),
      );
      return sample?.value ?? 0;
    };
    const here = { workspace: WORKSPACE };

    // October is over: its windows close as soon as the scheduler looks.
    const summary = await ingestEvents(handle.db, WORKSPACE, [
      apiCall("m-1", "acme", 1_000, "2026-10-05T10:00:00Z"),
      apiCall("m-2", "globex", 2_000, "2026-10-06T10:00:00Z"),
      apiCall("m-3", "umbrella", 3, "2026-10-07T10:00:00Z"),
      apiCall("m-1", "acme", 1_000, "2026-10-05T10:00:00Z"),
      { specversion: "1.0", id: "m-bad" },
    ]);
    metrics.ingested(summary);
    expect(await value("meterflow_ingest_events_total", { outcome: "stored" })).toBe(3);
    expect(await value("meterflow_ingest_events_total", { outcome: "duplicate" })).toBe(1);
    expect(await value("meterflow_ingest_events_total", { outcome: "invalid" })).toBe(1);
    expect(await value("meterflow_events_stored", here)).toBe(3);
    expect(await value("meterflow_events_pending", here)).toBe(3);

    // The ERP cannot be reached: deliveries are retried and the endpoint's circuit opens.
    const runtime = startRuntime(handle.db, {
      endpoints: { "erp-sandbox@1": erpSandboxEndpoint("http://erp.invalid") },
      fetch: () => Promise.reject(new TypeError("fetch failed")),
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
      metrics,
      workers: 1,
      pollMs: 10,
      windowCheckMs: 20,
      dispatchMs: 20,
    });
    try {
      runtime.notify();
      await expect
        .poll(() => value("meterflow_erp_circuit_open", { endpoint: "erp-sandbox@1" }), { timeout: 15_000 })
        .toBe(1);
    } finally {
      await runtime.stop();
    }
    expect(await value("meterflow_processed_events_total", { outcome: "validated" })).toBe(2);
    expect(await value("meterflow_processed_events_total", { outcome: "exception" })).toBe(1);
    expect(await value("meterflow_processing_batch_duration_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(await value("meterflow_events_pending", here)).toBe(0);
    expect(await value("meterflow_usage_records", here)).toBe(2);
    expect(await value("meterflow_exceptions_open", here)).toBe(1); // umbrella has no account
    expect(await value("meterflow_windows_open", here)).toBe(0);
    expect(await value("meterflow_windows_closed_total")).toBe(2); // acme's and globex's October
    expect(await value("meterflow_erp_deliveries_total", { result: "retrying" })).toBeGreaterThanOrEqual(1);
    expect(await value("meterflow_erp_deliveries_total", { result: "posted" })).toBe(0);
    // Both invoices wait for their next attempt, none is lost.
    expect(await value("meterflow_postings", { ...here, status: "pending" })).toBe(2);

    const text = await metrics.registry.metrics();
    expect(text).toContain(`meterflow_events_pending{workspace="${WORKSPACE}"} 0`);
    expect(text).toContain("# TYPE meterflow_ingest_request_duration_seconds histogram");
  });
});
