import { sql } from "drizzle-orm";
import { usageRecords, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedBillingFlow, WORKSPACE } from "../testing/runtime-fixture";
import { latestUsageRecords } from "./usage-records";

describe.each(databaseCases())("the latest usage records on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let versionId: string;
  let contentHash: string;
  beforeAll(async () => {
    handle = await open();
    ({
      version: { id: versionId, contentHash },
    } = await deployedBillingFlow(handle.db));
    // Records made 40 days, 2 days, 3 hours and 10 minutes ago, one of them in another workspace.
    const record = (key: string, ago: string, workspaceId = WORKSPACE) => ({
      workspaceId,
      flowVersionId: versionId,
      nodeId: "map",
      recordKey: `map:${key}`,
      eventSeq: null,
      tenantId: "acme",
      metric: "api_calls",
      quantity: "1",
      ratingPeriod: "2026-11",
      correlationId: key,
      payload: { erpAccount: "E-1", audit: { mappingRef: "UsageRecord@1" }, $audit: true },
      createdAt: sql`now() - ${ago}::interval`,
    });
    await handle.db.insert(usageRecords).values([record("old", "40 days"), record("days", "2 days"), record("hours", "3 hours"), record("new", "10 minutes"), record("elsewhere", "1 minute", "w-other")] as never);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("answers newest first, looking further back only while it has fewer than asked", async () => {
    expect((await latestUsageRecords(handle.db, WORKSPACE, 1)).map((row) => row.recordKey)).toEqual(["map:new"]);
    expect((await latestUsageRecords(handle.db, WORKSPACE, 3)).map((row) => row.recordKey)).toEqual(["map:new", "map:hours", "map:days"]);
    expect((await latestUsageRecords(handle.db, WORKSPACE, 10)).map((row) => row.recordKey)).toEqual(["map:new", "map:hours", "map:days", "map:old"]);
  });

  it("gives each record back as its flow produced it", async () => {
    const [latest] = await latestUsageRecords(handle.db, WORKSPACE, 1);
    expect(latest!.payload).toEqual({
      tenantId: "acme",
      metric: "api_calls",
      quantity: "1",
      ratingPeriod: "2026-11",
      erpAccount: "E-1",
      audit: { flowVersionHash: contentHash, nodeId: "map", correlationId: "new", mappingRef: "UsageRecord@1" },
    });
  });
});
