import { ensureLocalApiKey, type DatabaseHandle } from "@meterflow/db";
import { createIngestActivity, processNextBatch } from "@meterflow/runtime";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE } from "@meterflow/runtime";
import { testCaller } from "../testing/test-caller";

describe.each(databaseCases())("runtime API on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let api: Awaited<ReturnType<typeof testCaller>>;
  beforeAll(async () => {
    handle = await open();
    api = await testCaller(handle);
  });
  afterAll(async () => handle?.close());

  it("shows the local key created at first start, and creates it only once", async () => {
    const first = await ensureLocalApiKey(handle.db, DEFAULT_WORKSPACE.id);
    expect(first).toMatchObject({ created: true, key: expect.stringMatching(/^mf_[\w-]{32}$/) });
    expect(await ensureLocalApiKey(handle.db, DEFAULT_WORKSPACE.id)).toEqual({ created: false, key: first!.key });
    expect(await api.caller.apiKeys.list()).toEqual([
      expect.objectContaining({ name: "local", key: first!.key, prefix: first!.key.slice(0, 9), revoked: false }),
    ]);
  });

  it("ingests over tRPC with per-event results and counts stored events", async () => {
    const event = {
      specversion: "1.0",
      id: "t-1",
      source: "/gw",
      type: "com.meterflow.api.call",
      data: { tenantId: "acme" },
    };
    expect(await api.caller.events.ingest({ events: [event, event, { id: 1 }] })).toMatchObject({
      stored: 1,
      duplicates: 1,
      invalid: 1,
    });
    expect(await api.caller.overview.stats()).toMatchObject({
      rawEvents: 1,
      pendingEvents: 1,
      usageRecords: 0,
      openExceptions: { count: 0, capped: false },
    });
  });

  it("counts an ingest over tRPC as ingestion in flight, which the runtime's workers give way to, and wakes them after", async () => {
    const activity = createIngestActivity();
    const inFlightDuringIngest: number[] = [];
    const woken: number[] = [];
    const runtime = {
      wake: () => void woken.push(activity.inFlight),
      ingestActivity: {
        track: <T>(work: () => Promise<T>) =>
          activity.track(() => (inFlightDuringIngest.push(activity.inFlight), work())),
        inFlight: 0,
      },
    };
    const tracked = await testCaller(handle, { runtime });
    const event = {
      specversion: "1.0",
      id: "t-activity",
      source: "/gw",
      type: "com.meterflow.api.call",
      data: { tenantId: "acme" },
    };
    expect(await tracked.caller.events.ingest({ events: [event] })).toMatchObject({ stored: 1 });
    expect(inFlightDuringIngest).toEqual([1]);
    expect(woken).toEqual([0]);
  });

  it("deploys a published version, processes events into records and exceptions, and lets an operator act on them", async () => {
    const flow = await api.caller.templates.instantiate({ templateId: "metered-api-billing" });
    const version = await api.caller.versions.publish({ flowId: flow.id, changelog: "first" });
    const deployment = await api.caller.deployments.deploy({ versionId: version.id });
    expect(deployment).toMatchObject({
      handover: { windows: 0, watermarks: 0, dedupeNodes: [], leftBehind: [] },
      alsoProcessedBy: [],
    });
    expect(
      (await api.caller.deployments.list()).map((row) => [row.deployment.id, row.deployment.status, row.versionNumber]),
    ).toEqual([[deployment.id, "active", 1]]);
    expect((await api.caller.flows.list()).find((listed) => listed.id === flow.id)).toMatchObject({
      latestVersion: 1,
      runningVersion: 1,
    });

    const call = (id: string, tenantId: string) => ({
      specversion: "1.0",
      id,
      source: "/gw",
      type: "com.meterflow.api.call",
      time: "2026-10-03T10:00:00Z",
      data: { tenantId, productCode: "api-calls", calls: 10 },
    });
    await api.caller.events.ingest({ events: [call("r-1", "acme"), call("r-2", "nobody")] });
    expect((await api.caller.overview.stats()).pendingEvents).toBeGreaterThanOrEqual(2);
    while (await processNextBatch(handle.db));
    expect(await api.caller.overview.stats()).toMatchObject({ pendingEvents: 0, usageRecords: 1 });
    const [record] = await api.caller.usageRecords.list();
    expect(record).toMatchObject({ tenantId: "acme", metric: "api_calls", quantity: "10", ratingPeriod: "2026-10" });
    // The record as the Map node made it, though its row keeps only what no column holds.
    expect(record!.payload).toEqual({
      tenantId: "acme",
      contractId: "C-ACME-2026",
      productCode: "api-calls",
      metric: "api_calls",
      quantity: "10",
      ratingPeriod: "2026-10",
      pricingRef: "api-calls-standard",
      erpAccount: "ERP-1001",
      audit: {
        flowVersionHash: version.contentHash,
        nodeId: "map",
        correlationId: "/gw#r-1",
        eventTime: "2026-10-03T10:00:00Z",
        mappingRef: "UsageRecord@1",
      },
    });
    expect((await api.caller.events.recentEnvelopes({ limit: 2 })).map((envelope) => envelope.id)).toEqual([
      "r-2",
      "r-1",
    ]);
    const events = await api.caller.events.list();
    expect(
      events
        .filter((event) => event.id.startsWith("r-"))
        .map((event) => `${event.id} ${event.outcome}`)
        .sort(),
    ).toEqual(["r-1 validated", "r-2 exception"]);
    expect(events.every((event) => event.envelope === null)).toBe(true); // the list stays light
    // Found by its id, with the envelope as sent.
    expect(await api.caller.events.list({ id: "r-2" })).toEqual([
      expect.objectContaining({
        id: "r-2",
        source: "/gw",
        status: "processed",
        outcome: "exception",
        envelope: call("r-2", "nobody"),
      }),
    ]);
    expect(await api.caller.events.list({ id: "no-such-event" })).toEqual([]);
    const [exception] = await api.caller.exceptions.list({ status: "open", kind: "unmatched_account" });
    expect(exception).toMatchObject({ partitionKey: "nobody", raisedBy: "enrich" });

    await expect(api.caller.exceptions.resolve({ ids: [exception!.id], comment: "" })).rejects.toThrow(
      /Say why it is resolved/,
    );
    await expect(api.caller.exceptions.retry({ ids: ["not-a-uuid"] })).rejects.toThrow(/Exception ids are UUIDs/);
    const engineerOnly = api.as({ id: "e-2", name: "Eve Engineer", roles: ["engineer"] });
    await expect(engineerOnly.exceptions.resolve({ ids: [exception!.id], comment: "not billable" })).rejects.toThrow(
      /needs the operator role; Eve Engineer does not have it/,
    );
    await api.caller.exceptions.resolve({ ids: [exception!.id], comment: "not billable" });
    await expect(api.caller.exceptions.retry({ ids: [exception!.id] })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });

    await expect(
      api.caller.replay.run({
        flowVersionId: version.id,
        mode: "dry_run",
        from: "2026-11-01T00:00:00Z",
        to: "2026-10-01T00:00:00Z",
      }),
    ).rejects.toThrow(/from must be before to/);
    const dry = await api.caller.replay.run({
      flowVersionId: version.id,
      mode: "dry_run",
      from: "2026-10-01T00:00:00Z",
      to: "2026-11-01T00:00:00Z",
    });
    expect(dry).toMatchObject({ events: 2, outcomes: { validated: 1, exception: 1 }, stored: null });
    const closed = await api.caller.windows.close({ all: true });
    expect(closed).toMatchObject({ windows: 1, postings: 1 });
    const [posting] = await api.caller.postings.list({ status: "pending" });
    expect(posting).toMatchObject({ endpoint: "erp-sandbox@1", operation: "createInvoice" });
    const report = await api.caller.reconciliation.run({
      from: "2026-10-01T00:00:00Z",
      to: "2026-11-01T00:00:00Z",
      tenant: "acme",
    });
    expect(report.differences.map((difference) => difference.check)).toEqual(["aggregates_vs_posted"]);
  });
});
