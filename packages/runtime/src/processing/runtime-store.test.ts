import { eq } from "drizzle-orm";
import { usageRecords, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import type { Effects, RecordEffect } from "@meterflow/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedBillingFlow, WORKSPACE } from "../testing/runtime-fixture";
import { planFor } from "./deployments";
import { persistEffects, type RunTarget } from "./runtime-store";

const usageRecord = (event: string, quantity: string): RecordEffect => ({
  nodeId: "map",
  type: "UsageRecord@1",
  id: `map:/gateway/${event}`,
  payload: { tenantId: "acme", metric: "api_calls", quantity, ratingPeriod: "2026-11" },
  events: [`/gateway/${event}`],
  correlationId: `trace-${event}`,
});
const effectsWith = (records: RecordEffect[]): Effects => ({
  flowVersionHash: "h",
  outcomes: [],
  records,
  windowUpdates: [],
  summaries: [],
  postings: [],
  approvals: [],
  exceptions: [],
  duplicates: [],
  lineage: [],
});

describe.each(databaseCases())("persisting a run's effects on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let target: RunTarget;
  beforeAll(async () => {
    handle = await open();
    const { version, deployment } = await deployedBillingFlow(handle.db);
    target = {
      workspaceId: WORKSPACE,
      flowVersionId: version.id,
      deploymentId: deployment.id,
      partitionKey: "acme",
      plan: await planFor(handle.db, version.id),
    };
  });
  afterAll(async () => handle?.close());

  it("adds a usage record once when a deployment's run makes it again, keeping the first, and the rest of the run with it", async () => {
    const persist = (records: RecordEffect[], backfill = false) =>
      handle.db.transaction((tx) =>
        persistEffects(
          tx,
          [{ target: backfill ? { ...target, deploymentId: null } : target, effects: effectsWith(records) }],
          new Map(),
        ),
      );
    await persist([usageRecord("e1", "10"), usageRecord("e2", "20")]);
    await persist([usageRecord("e2", "999"), usageRecord("e3", "30")]);
    await persist([usageRecord("e3", "999"), usageRecord("e4", "40")], true);
    const stored = await handle.db
      .select({ key: usageRecords.recordKey, quantity: usageRecords.quantity })
      .from(usageRecords)
      .where(eq(usageRecords.flowVersionId, target.flowVersionId))
      .orderBy(usageRecords.recordKey);
    expect(stored.map(({ key, quantity }) => `${key} ${quantity}`)).toEqual([
      "map:/gateway/e1 10",
      "map:/gateway/e2 20",
      "map:/gateway/e3 30",
      "map:/gateway/e4 40",
    ]);
  });
});
