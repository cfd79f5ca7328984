import { and, eq } from "drizzle-orm";
import {
  auditLog,
  deployments,
  eventOutcome,
  eventsRaw,
  exceptions,
  postings,
  runtimeWindows,
  storeRawEvents,
  usageRecords,
  usageSummaries,
  type DatabaseHandle,
} from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import type { FlowDocument } from "@meterflow/flow-spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import template from "../../../../templates/metered-api-billing.json";
import { ingestEvents } from "../ingest-events";
import { retryExceptions } from "../operations/exceptions";
import { apiCall, deployedBillingFlow, OPERATOR, publishChangedVersion, WORKSPACE } from "../testing/runtime-fixture";
import { closeDueWindows } from "./close-windows";
import { deployVersion } from "./deployments";
import { processNextBatch } from "./process-events";

/** The billing template, deduplicating by a request id the sender puts in the data. */
const byRequestId = structuredClone(template) as unknown as FlowDocument;
nodeOf(byRequestId, "dedupe").config = { key: "data.requestId", window: { amount: 7, unit: "day" } };

function nodeOf(document: FlowDocument, id: string): { config: Record<string, unknown> } {
  return document.nodes.find((node) => node.id === id)! as never;
}

function call(id: string, calls: number, time: string, requestId = id) {
  const event = apiCall(id, "acme", calls, time);
  return { ...event, data: { ...event.data, requestId } };
}

describe.each(databaseCases())("deploying a new version of a flow on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let flowId: string;
  beforeAll(async () => {
    handle = await open();
    ({
      flow: { id: flowId },
    } = await deployedBillingFlow(handle.db, byRequestId));
  });
  afterAll(async () => {
    await handle?.close();
  });

  const drain = async (now: string) => {
    while (await processNextBatch(handle.db, { batchSize: 10, now: () => new Date(now) }));
  };
  /** Publishes the flow's draft changed by `edit` and deploys it. */
  const deployChanged = async (edit: (document: FlowDocument) => void) => {
    const version = await publishChangedVersion(handle.db, flowId, edit);
    return {
      version,
      deployment: await deployVersion(handle.db, { workspaceId: WORKSPACE, versionId: version.id, actor: OPERATOR }),
    };
  };

  it("a version that keeps the Aggregate carries on the month: one summary of every event, the included units counted once", async () => {
    await ingestEvents(handle.db, WORKSPACE, [call("oct-1", 60_000, "2026-10-03T10:00:00Z")]);
    await drain("2026-10-10T00:00:00Z");

    const { version, deployment } = await deployChanged(
      (document) => void (nodeOf(document, "approval").config.holdWhen = "$number(total.amount) > 6000"),
    );
    expect(deployment.handover).toEqual({ windows: 1, watermarks: 1, dedupeNodes: ["dedupe"], leftBehind: [] });
    const [audit] = await handle.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "deployment.deployed"), eq(auditLog.entityId, deployment.id)));
    expect(audit!.details).toMatchObject({ handover: { windows: 1 } });

    await ingestEvents(handle.db, WORKSPACE, [call("oct-2", 60_000, "2026-10-20T10:00:00Z")]);
    await drain("2026-10-25T00:00:00Z");
    await closeDueWindows(handle.db, { now: new Date("2026-11-01T02:00:00Z") });

    const october = await handle.db.select().from(usageSummaries).where(eq(usageSummaries.ratingPeriod, "2026-10"));
    expect(october.map((summary) => [summary.eventCount, summary.quantity, summary.flowVersionId])).toEqual([
      [2, "120000", version.id],
    ]);
    // 120,000 calls less 100,000 included, at 0.0010: one invoice, not two of nothing.
    const invoices = await handle.db.select({ request: postings.request }).from(postings);
    expect(
      invoices.map(({ request }) =>
        (request as { lines: { quantity: string; amount: string }[] }).lines.map(
          (line) => `${line.quantity}@${line.amount}`,
        ),
      ),
    ).toEqual([["20000@20.00"]]);
  });

  it("catches a repeat of a request the earlier version let through", async () => {
    await ingestEvents(handle.db, WORKSPACE, [call("nov-1", 10, "2026-11-03T10:00:00Z", "request-7")]);
    await drain("2026-11-05T00:00:00Z");
    const { deployment } = await deployChanged(
      (document) => void (nodeOf(document, "approval").config.holdWhen = "$number(total.amount) > 7000"),
    );
    expect(deployment.handover.dedupeNodes).toEqual(["dedupe"]);

    // Another event id, so ingestion stores it; the same request, so the Dedupe node drops it.
    await ingestEvents(handle.db, WORKSPACE, [call("nov-2", 10, "2026-11-04T10:00:00Z", "request-7")]);
    await drain("2026-11-05T00:00:00Z");
    const [repeat] = await handle.db
      .select({ outcome: eventOutcome })
      .from(eventsRaw)
      .where(eq(eventsRaw.eventId, "nov-2"));
    expect(repeat!.outcome).toBe("duplicate");
    const [window] = await handle.db
      .select()
      .from(runtimeWindows)
      .where(eq(runtimeWindows.deploymentId, deployment.id));
    expect((window!.state as { count: number }).count).toBe(1);
  });

  it("an event for a month an earlier version already billed is a late event, not a second invoice", async () => {
    await closeDueWindows(handle.db, { all: true, workspaceId: WORKSPACE, now: new Date("2026-11-06T00:00:00Z") });
    await deployChanged(
      (document) => void (nodeOf(document, "approval").config.holdWhen = "$number(total.amount) > 8000"),
    );
    await ingestEvents(handle.db, WORKSPACE, [call("nov-3", 10, "2026-11-07T10:00:00Z")]);
    await drain("2026-11-08T00:00:00Z");

    const late = await handle.db.select().from(exceptions).where(eq(exceptions.kind, "late_event"));
    expect(late.map((exception) => exception.eventKeys)).toEqual([["/gateway#nov-3"]]);
    expect(
      await handle.db.select().from(usageSummaries).where(eq(usageSummaries.ratingPeriod, "2026-11")),
    ).toHaveLength(1);
  });

  it("a version that changes how windows are keyed leaves the open ones to close, and be billed, under their version, and says so", async () => {
    await ingestEvents(handle.db, WORKSPACE, [call("dec-1", 10, "2026-12-03T10:00:00Z")]);
    await drain("2026-12-05T00:00:00Z");
    const [before] = await handle.db.select().from(deployments).where(eq(deployments.status, "active"));
    const { deployment } = await deployChanged((document) => {
      const aggregate = nodeOf(document, "aggregate").config as { groupBy: { name: string; expression: string }[] };
      aggregate.groupBy.push({ name: "erpAccount", expression: "erpAccount" });
    });
    expect(deployment.handover.windows).toBe(0);
    expect(deployment.handover.leftBehind).toEqual([
      {
        versionNumber: 4,
        nodeId: "aggregate",
        windows: 1,
        reason: 'its Aggregate node "aggregate" changed how windows are keyed, timed or measured',
      },
    ]);
    expect(await handle.db.select({ deploymentId: runtimeWindows.deploymentId }).from(runtimeWindows)).toEqual([
      { deploymentId: before!.id },
    ]);
  });

  it("says which other running flows take the same events; a retry of what one flow refused runs through that flow only", async () => {
    // An event of acme's stored under another partition (as older key orders did): the window is acme's partition's.
    await ingestEvents(handle.db, WORKSPACE, [call("jan-1", 10, "2027-01-03T10:00:00Z")]);
    await drain("2027-01-10T00:00:00Z");
    const stray = call("jan-2", 10, "2027-01-04T10:00:00Z");
    await storeRawEvents(handle.db, WORKSPACE, [
      {
        source: stray.source,
        eventId: stray.id,
        type: stray.type,
        subject: "user-7",
        time: stray.time,
        partitionKey: "user-7",
        correlationId: stray.id,
        envelope: stray,
      },
    ]);
    await drain("2027-01-10T00:00:00Z");
    const [running] = await handle.db.select().from(deployments).where(eq(deployments.status, "active"));
    const [refused] = await handle.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.eventKeys, ["/gateway#jan-2"]));
    expect(refused).toMatchObject({
      kind: "invalid_event",
      deploymentId: running!.id,
      flowVersionId: running!.flowVersionId,
    });

    // A second flow over the same events, deployed after: it says so, and it never sees jan-2.
    const other = await deployedBillingFlow(handle.db);
    expect(other.deployment.alsoProcessedBy).toEqual([
      { flowId, flowName: "Metered API billing", versionNumber: 5, eventTypes: ["com.meterflow.api.call"] },
    ]);
    const [result] = await retryExceptions(handle.db, {
      workspaceId: WORKSPACE,
      ids: [refused!.id],
      actor: OPERATOR,
      now: new Date("2027-01-10T00:00:00Z"),
    });
    expect(result).toMatchObject({ outcome: "still_failing" });
    expect(await handle.db.select().from(usageRecords).where(eq(usageRecords.flowVersionId, other.version.id))).toEqual(
      [],
    );
  });
});
