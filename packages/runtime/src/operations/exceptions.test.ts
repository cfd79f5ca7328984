import { eq, sql } from "drizzle-orm";
import {
  eventOutcome,
  eventsRaw,
  exceptions,
  insertExceptions,
  usageRecords,
  type DatabaseHandle,
} from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import template from "../../../../templates/metered-api-billing.json";
import { ingestEvents } from "../ingest-events";
import { processNextBatch } from "../processing/process-events";
import { apiCall, deployedBillingFlow, OPERATOR, WORKSPACE } from "../testing/runtime-fixture";
import { countOpenExceptions, listExceptions, retryExceptions } from "./exceptions";

describe.each(databaseCases())("retrying an event no flow accepted on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await deployedBillingFlow(handle.db);
  });
  afterAll(() => handle?.close());

  const now = new Date("2026-10-31T00:00:00Z");
  const storageEvent = { ...apiCall("s1", "acme", 42, "2026-10-03T10:00:00Z"), type: "com.meterflow.storage.used" };
  const outcomeOf = async (id: string) =>
    (await handle.db.select({ outcome: eventOutcome }).from(eventsRaw).where(eq(eventsRaw.eventId, id)))[0]?.outcome;

  it("raises a routing exception, and once a flow for the event is deployed, a retry processes it", async () => {
    await ingestEvents(handle.db, WORKSPACE, [storageEvent]);
    while (await processNextBatch(handle.db, { now: () => now }));
    expect(await outcomeOf("s1")).toBe("exception");
    const [routing] = await listExceptions(handle.db, WORKSPACE, { kind: "routing" });
    expect(routing).toMatchObject({ status: "open", reason: expect.stringContaining("com.meterflow.storage.used") });

    // Still no flow for it: the retry says so, and the event's new problem is a new exception.
    expect(
      (await retryExceptions(handle.db, { workspaceId: WORKSPACE, ids: [routing!.id], actor: OPERATOR, now }))[0],
    ).toMatchObject({ outcome: "still_failing" });
    const open = await listExceptions(handle.db, WORKSPACE, { kind: "routing", status: "open" });
    expect(open).toHaveLength(1);
    expect(open[0]!.id).not.toBe(routing!.id);

    const storageFlow = structuredClone(template) as typeof template;
    storageFlow.metadata.name = "Storage billing";
    storageFlow.nodes[0]!.config.eventTypes = ["com.meterflow.storage.used"];
    await deployedBillingFlow(handle.db, storageFlow);
    expect(
      (await retryExceptions(handle.db, { workspaceId: WORKSPACE, ids: [open[0]!.id], actor: OPERATOR, now }))[0],
    ).toMatchObject({ outcome: "resolved" });
    expect(await outcomeOf("s1")).toBe("validated");
    const records = await handle.db
      .select({ quantity: usageRecords.quantity })
      .from(usageRecords)
      .where(eq(usageRecords.tenantId, "acme"));
    expect(records.map((record) => record.quantity)).toEqual(["42"]);
    expect(await handle.db.select().from(exceptions).where(eq(exceptions.status, "open"))).toEqual([]);
  });
});

describe.each(databaseCases())("open exceptions on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
  });
  afterAll(() => handle?.close());

  it("lists the newest first and counts them up to a cap, saying when there are more", async () => {
    const raised = (i: number) => ({
      workspaceId: "w-flood",
      kind: "unmatched_account" as const,
      reason: `no account ${i}`,
      partitionKey: "nobody",
      payload: { i },
      history: [],
    });
    await insertExceptions(
      handle.db,
      Array.from({ length: 12 }, (_, i) => raised(i)),
    );
    await handle.db.update(exceptions).set({ status: "resolved" }).where(eq(exceptions.reason, "no account 11"));
    expect(await countOpenExceptions(handle.db, "w-flood", 20)).toEqual({ count: 11, capped: false });
    expect(await countOpenExceptions(handle.db, "w-flood", 11)).toEqual({ count: 11, capped: false });
    expect(await countOpenExceptions(handle.db, "w-flood", 10)).toEqual({ count: 10, capped: true });
    expect(await countOpenExceptions(handle.db, "w-other")).toEqual({ count: 0, capped: false });

    await handle.db
      .update(exceptions)
      .set({ createdAt: sql`now() + make_interval(secs => (${exceptions.payload}->>'i')::int)` })
      .where(eq(exceptions.workspaceId, "w-flood"));
    const newest = await listExceptions(handle.db, "w-flood", { status: "open", limit: 3 });
    expect(newest.map((exception) => exception.reason)).toEqual(["no account 10", "no account 9", "no account 8"]);
  });

  it("refuses to retry an event refused at ingestion, saying to send it again corrected", async () => {
    await insertExceptions(handle.db, [
      {
        workspaceId: "w-nats",
        kind: "invalid_event",
        reason: "Not a CloudEvent: missing type",
        nodeId: "ingestion",
        raisedBy: "ingestion",
        itemId: "nats:S:1",
        payload: { id: "x" },
        history: [],
      },
    ]);
    const [refused] = await listExceptions(handle.db, "w-nats", { status: "open" });
    await expect(
      retryExceptions(handle.db, { workspaceId: "w-nats", ids: [refused!.id], actor: OPERATOR }),
    ).rejects.toThrow(/is an event refused at ingestion and never stored: send it again corrected/);
  });
});
