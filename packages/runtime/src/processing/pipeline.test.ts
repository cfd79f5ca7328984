import { eq, inArray, not } from "drizzle-orm";
import {
  accountMap,
  contracts,
  dedupeKeys,
  deployments,
  eventOutcome,
  eventProcessed,
  eventsRaw,
  eventStatus,
  exceptions,
  postings,
  runtimePartitions,
  runtimeWindows,
  storeRawEvents,
  usageRecords,
  usageSummaries,
  type DatabaseHandle,
} from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestEvents } from "../ingest-events";
import { createDispatcher, erpSandboxEndpoint } from "../outbox/dispatch-postings";
import {
  apiCall,
  ingestMany,
  countersAndRows,
  deployedBillingFlow,
  startSandbox,
  WORKSPACE,
} from "../testing/runtime-fixture";
import { tracePosting } from "../operations/trace-posting";
import { closeDueWindows } from "./close-windows";
import { deployVersion } from "./deployments";
import { processNextBatch } from "./process-events";

const loadTenants = Array.from({ length: 40 }, (_, t) => `load-${t}`);

describe.each(databaseCases())("the runtime pipeline on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    handle = await open();
    sandbox = await startSandbox();
    await deployedBillingFlow(handle.db);
    // Forty more customers like acme (reference data is cached for a second, so they come first).
    const [account] = await handle.db.select().from(accountMap).where(eq(accountMap.tenantId, "acme"));
    const [acmeContract] = await handle.db.select().from(contracts).where(eq(contracts.tenantId, "acme"));
    const { id: _acmeContractId, ...contract } = acmeContract!;
    await handle.db
      .insert(accountMap)
      .values(loadTenants.map((tenantId, t) => ({ ...account!, tenantId, erpAccountId: `ERP-L${t}` })));
    await handle.db
      .insert(contracts)
      .values(loadTenants.map((tenantId, t) => ({ ...contract, tenantId, contractId: `C-L${t}` })));
  });
  afterAll(async () => {
    await sandbox?.close();
    await handle?.close();
  });

  const drain = async (now: Date) => {
    let batches = 0;
    while (await processNextBatch(handle.db, { batchSize: 3, now: () => now })) batches += 1;
    return batches;
  };

  it("takes shuffled events and repeats to usage records, closes October and posts one invoice per customer to the cent", async () => {
    const events = [
      // A subject naming a user of the tenant: still the tenant's partition and window.
      { ...apiCall("a3", "acme", 50_000, "2026-10-30T08:00:00Z"), subject: "user-7" },
      apiCall("a1", "acme", 400_000, "2026-10-02T10:00:00Z"),
      apiCall("g1", "globex", 50_000, "2026-10-12T10:00:00Z"),
      { ...apiCall("a2", "acme", 600_000, "2026-10-20T10:00:00Z"), subject: "user-9" },
      apiCall("a1", "acme", 400_000, "2026-10-02T10:00:00Z"),
      apiCall("x1", "umbrella", 7, "2026-10-05T10:00:00Z"),
    ];
    const ingested = await ingestEvents(handle.db, WORKSPACE, events);
    expect(ingested).toMatchObject({ stored: 5, duplicates: 1 });
    expect(await drain(new Date("2026-10-31T00:00:00Z"))).toBe(2); // 5 events, 3 to a batch

    const raw = await handle.db
      .select({ id: eventsRaw.eventId, status: eventStatus, outcome: eventOutcome })
      .from(eventsRaw)
      .orderBy(eventsRaw.eventId);
    expect(raw.map((row) => `${row.id}:${row.status}:${row.outcome}`)).toEqual([
      "a1:processed:validated",
      "a2:processed:validated",
      "a3:processed:validated",
      "g1:processed:validated",
      "x1:processed:exception",
    ]);
    const records = await handle.db.select().from(usageRecords).orderBy(usageRecords.eventSeq);
    expect(records.map((record) => `${record.tenantId} ${record.quantity} ${record.ratingPeriod}`).sort()).toEqual([
      "acme 400000 2026-10",
      "acme 50000 2026-10",
      "acme 600000 2026-10",
      "globex 50000 2026-10",
    ]);
    // A raw event and its usage record share the correlation id (the event's key, with no traceparent).
    const correlations = await handle.db
      .select({ seq: eventsRaw.seq, correlationId: eventsRaw.correlationId })
      .from(eventsRaw);
    expect(
      records.map((record) => [
        record.correlationId,
        correlations.find((event) => event.seq === record.eventSeq)?.correlationId,
      ]),
    ).toEqual(records.map((record) => [record.correlationId, record.correlationId]));
    expect(records.map((record) => record.correlationId).sort()).toEqual([
      "/gateway#a1",
      "/gateway#a2",
      "/gateway#a3",
      "/gateway#g1",
    ]);
    // A record's row keeps in its payload only what its columns do not hold.
    expect(records[0]!.payload).toEqual({
      pricingRef: "api-calls-standard",
      erpAccount: expect.any(String),
      audit: { eventTime: expect.any(String), mappingRef: "UsageRecord@1" },
      $audit: true,
    });
    const [unmatched] = await handle.db.select().from(exceptions);
    expect(unmatched).toMatchObject({ kind: "unmatched_account", raisedBy: "enrich", status: "open" });
    // The template's Dedupe key is the event's identity, which ingestion keeps once: no key is stored.
    expect(await handle.db.$count(dedupeKeys)).toBe(0);

    // Nothing closes before the grace period ends (1 Nov 02:00).
    expect((await closeDueWindows(handle.db, { now: new Date("2026-11-01T01:59:00Z") })).windows).toBe(0);
    const closed = await closeDueWindows(handle.db, { now: new Date("2026-11-01T02:00:00Z") });
    expect(closed).toMatchObject({ windows: 2, postings: 2 });
    const summaries = await handle.db.select().from(usageSummaries).orderBy(usageSummaries.tenantId);
    expect(
      summaries.map(
        (summary) =>
          `${summary.tenantId} ${summary.quantity} ${summary.eventCount} ${summary.ratingPeriod} ${summary.lineCount}`,
      ),
    ).toEqual(["acme 1050000 3 2026-10 1", "globex 50000 1 2026-10 1"]);

    const dispatcher = createDispatcher(handle.db, {
      endpoints: { "erp-sandbox@1": erpSandboxEndpoint(sandbox.baseUrl) },
    });
    const dispatched = await dispatcher.tick();
    if (dispatched.posted !== 2) console.log(dispatched, await handle.db.select().from(postings));
    expect(dispatched).toMatchObject({ claimed: 2, posted: 2 });
    const invoices = sandbox.store.invoices
      .map(
        (invoice) =>
          `${invoice.customer} ${invoice.total} ${invoice.lines.map((line) => `${line.quantity}@${line.amount}`).join(",")}`,
      )
      .sort();
    expect(invoices).toEqual(["ERP-1001 950.00 950000@950.00", "ERP-1002 0.00 0@0.00"]);
    const posted = await handle.db.select().from(postings);
    expect(
      posted.every(
        (posting) =>
          posting.status === "posted" && posting.erpDocumentId?.startsWith("INV-") && posting.attemptLog.length === 1,
      ),
    ).toBe(true);

    // Lineage: the acme invoice line leads back to its window, the price list used and the three events.
    const acmePosting = posted.find((posting) => (posting.request as { customer: string }).customer === "ERP-1001")!;
    const trace = await tracePosting(handle.db, { workspaceId: WORKSPACE, idempotencyKey: acmePosting.idempotencyKey });
    expect(trace.flowVersion).toMatchObject({ number: 1 });
    expect(trace.items).toHaveLength(1);
    expect(trace.items[0]).toMatchObject({
      pricingRuleVersion: "api-calls-standard@1/global",
      window: { tenantId: "acme", ratingPeriod: "2026-10", eventCount: 3 },
      eventCount: 3,
    });
    expect(trace.items[0]!.events.map((event) => event.id).sort()).toEqual(["a1", "a2", "a3"]);

    // A late October event is an exception; nothing reopens the closed window.
    await ingestEvents(handle.db, WORKSPACE, [apiCall("a4", "acme", 5, "2026-10-31T23:00:00Z")]);
    await drain(new Date("2026-11-01T03:00:00Z"));
    const late = await handle.db.select().from(exceptions).where(eq(exceptions.kind, "late_event"));
    expect(late).toHaveLength(1);
    expect((await closeDueWindows(handle.db, { now: new Date("2026-11-02T00:00:00Z") })).windows).toBe(0);
  });

  it("lets several workers drain one database at once: every event is processed exactly once", async () => {
    const tenants = ["acme", "globex", "initech"];
    const events = Array.from({ length: 900 }, (_, i) =>
      apiCall(
        `c-${i}`,
        tenants[i % 3]!,
        10 + (i % 5),
        new Date(Date.parse("2026-12-01T00:00:00Z") + i * 60_000).toISOString(),
      ),
    );
    for (let i = 0; i < events.length; i += 300) await ingestEvents(handle.db, WORKSPACE, events.slice(i, i + 300));
    const now = new Date("2026-12-02T00:00:00Z");
    const worker = async () => {
      let batches = 0;
      while (await processNextBatch(handle.db, { batchSize: 50, now: () => now })) batches += 1;
      return batches;
    };
    const batches = await Promise.all([worker(), worker(), worker()]);
    expect(batches.reduce((total, count) => total + count, 0)).toBeGreaterThanOrEqual(900 / 50);
    const records = await handle.db
      .select({ tenant: usageRecords.tenantId, quantity: usageRecords.quantity })
      .from(usageRecords)
      .where(eq(usageRecords.ratingPeriod, "2026-12"));
    expect(records).toHaveLength(900);
    const expected = events.reduce((total, event) => total + event.data.calls, 0);
    expect(records.reduce((total, record) => total + Number(record.quantity), 0)).toBe(expected);
    const pending = await handle.db.select().from(eventsRaw).where(not(eventProcessed));
    expect(pending).toEqual([]);
    const windows = await handle.db.select({ state: runtimeWindows.state }).from(runtimeWindows);
    const december = windows
      .map((row) => row.state as { start: string; count: number })
      .filter((window) => window.start.startsWith("2026-12"));
    expect(december.reduce((total, window) => total + window.count, 0)).toBe(900);
  });

  it("lets workers and senders run at once over many tenants: every event once, pending counts back to zero", async () => {
    const tenants = loadTenants;
    const events = Array.from({ length: 2_000 }, (_, i) =>
      apiCall(
        `l-${i}`,
        tenants[(i * 7) % 40]!,
        1 + (i % 3),
        new Date(Date.parse("2028-01-01T00:00:00Z") + i * 60_000).toISOString(),
      ),
    );
    const now = () => new Date("2028-01-03T00:00:00Z");
    let sending = true;
    let next = 0;
    const sender = async () => {
      while (next < events.length) await ingestEvents(handle.db, WORKSPACE, events.slice((next += 100) - 100, next));
    };
    const worker = async () => {
      // Polls while events arrive, then drains what is left.
      for (;;) if (!(await processNextBatch(handle.db, { batchSize: 50, now })) && !sending) return;
    };
    const workers = [worker(), worker(), worker()];
    await Promise.all([sender(), sender()]);
    sending = false;
    await Promise.all(workers);

    const records = await handle.db
      .select({ quantity: usageRecords.quantity })
      .from(usageRecords)
      .where(eq(usageRecords.ratingPeriod, "2028-01"));
    expect(records).toHaveLength(2_000);
    expect(records.reduce((total, record) => total + Number(record.quantity), 0)).toBe(
      events.reduce((total, event) => total + event.data.calls, 0),
    );
    const windows = (
      await handle.db.select().from(runtimeWindows).where(inArray(runtimeWindows.partitionKey, tenants))
    ).map((row) => row.state as { count: number });
    expect(windows).toHaveLength(40);
    expect(windows.reduce((total, window) => total + window.count, 0)).toBe(2_000);
    const partitions = await handle.db
      .select({ pending: runtimePartitions.pending })
      .from(runtimePartitions)
      .where(inArray(runtimePartitions.partitionKey, tenants));
    expect(partitions.map((partition) => partition.pending)).toEqual(tenants.map(() => 0));
    expect(await handle.db.select().from(eventsRaw).where(not(eventProcessed))).toEqual([]);
    // runtime.stats' totals, kept by the statements that wrote the rows, match the rows.
    const totals = await countersAndRows(handle.db);
    expect(totals.counters).toEqual(totals.rows);
  });

  it("never lets two partitions write one window: the second's events become exceptions that say why, and none is lost", async () => {
    // Stored under a partition key of their own (as an older ingestion keyed by subject did).
    const underUser = (id: string, time: string, partitionKey: string) => {
      const event = apiCall(id, "acme", 100, time);
      return {
        source: event.source,
        eventId: event.id,
        type: event.type,
        subject: partitionKey,
        time,
        partitionKey,
        correlationId: id,
        envelope: event,
      };
    };
    const now = new Date("2027-02-10T00:00:00Z");
    await ingestEvents(handle.db, WORKSPACE, [
      apiCall("f1", "acme", 10, "2027-02-03T10:00:00Z"),
      apiCall("f2", "acme", 20, "2027-02-04T10:00:00Z"),
    ]);
    await drain(now);
    await storeRawEvents(handle.db, WORKSPACE, [underUser("f3", "2027-02-05T10:00:00Z", "user-7")]);
    await drain(now);

    const february = (await handle.db.select().from(runtimeWindows)).filter((row) =>
      (row.state as { start: string }).start.startsWith("2027-02"),
    );
    expect(february.map((row) => [row.partitionKey, (row.state as { count: number }).count])).toEqual([["acme", 2]]);
    const [refused] = await handle.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.eventKeys, ["/gateway#f3"]));
    expect(refused).toMatchObject({ kind: "invalid_event", status: "open" });
    expect(refused!.reason).toMatch(
      /window from 2027-02-01T00:00:00.000Z .* is kept by partition "acme", and this event is in partition "user-7"/,
    );
    const [f3] = await handle.db
      .select({ seq: eventsRaw.seq, outcome: eventOutcome })
      .from(eventsRaw)
      .where(eq(eventsRaw.eventId, "f3"));
    expect(f3!.outcome).toBe("exception");
    expect(await handle.db.select().from(usageRecords).where(eq(usageRecords.eventSeq, f3!.seq))).toEqual([]);

    // Once the window is closed and summarised, another partition's event for it is late, not a second summary.
    await closeDueWindows(handle.db, { now: new Date("2027-03-01T02:00:00Z") });
    await storeRawEvents(handle.db, WORKSPACE, [underUser("f4", "2027-02-06T10:00:00Z", "user-9")]);
    await drain(new Date("2027-03-01T03:00:00Z"));
    const [late] = await handle.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.eventKeys, ["/gateway#f4"]));
    expect(late).toMatchObject({ kind: "late_event" });
    expect(late!.reason).toMatch(/was closed and summarised already \(in partition "acme"\)/);
    const summaries = await handle.db
      .select({ count: usageSummaries.eventCount })
      .from(usageSummaries)
      .where(eq(usageSummaries.ratingPeriod, "2027-02"));
    expect(summaries).toEqual([{ count: 2 }]);

    // Two partitions of one micro-batch opening the same window: the first keeps it.
    await storeRawEvents(handle.db, WORKSPACE, [
      underUser("f5", "2027-04-05T10:00:00Z", "user-a"),
      underUser("f6", "2027-04-06T10:00:00Z", "user-b"),
    ]);
    const batch = await processNextBatch(handle.db, { now: () => new Date("2027-04-10T00:00:00Z") });
    expect(batch).toMatchObject({ partitions: 2, events: 2, outcomes: { validated: 1, exception: 1 } });
    const april = (await handle.db.select().from(runtimeWindows)).filter((row) =>
      (row.state as { start: string }).start.startsWith("2027-04"),
    );
    expect(april.map((row) => (row.state as { count: number }).count)).toEqual([1]);
    const split = (await handle.db.select().from(exceptions).where(eq(exceptions.kind, "invalid_event"))).filter(
      (row) => row.reason.includes("2027-04"),
    );
    expect(split).toHaveLength(1);
    expect(split[0]!.reason).toContain(
      `is kept by partition "${april[0]!.partitionKey}", and this event is in partition "${april[0]!.partitionKey === "user-a" ? "user-b" : "user-a"}"`,
    );
  });

  it("raises a whole micro-batch of 5,000 failing events as 5,000 exceptions in one go", async () => {
    // A tenant missing from the account map: every event misses the Enrich lookup. Written as a
    // VALUES list, 5,000 exceptions of 14 fields passed PostgreSQL's limit of 65,535 parameters.
    await ingestMany(handle.db, 5_000, (i) => apiCall(`flood-${i}`, "unknown-tenant", 1, "2027-08-02T10:00:00Z"));
    expect(
      await processNextBatch(handle.db, { batchSize: 5_000, now: () => new Date("2027-08-03T00:00:00Z") }),
    ).toMatchObject({ events: 5_000, outcomes: { exception: 5_000 } });
    const raised = await handle.db
      .select({ kind: exceptions.kind, partitionKey: exceptions.partitionKey })
      .from(exceptions)
      .where(eq(exceptions.partitionKey, "unknown-tenant"));
    expect(raised).toHaveLength(5_000);
    expect(new Set(raised.map((exception) => `${exception.kind} ${exception.partitionKey}`))).toEqual(
      new Set(["unmatched_account unknown-tenant"]),
    );
  });

  it("takes many tenants' few events in one micro-batch, each tenant on its own state", async () => {
    const tenants = ["acme", "globex", "initech"];
    await ingestEvents(
      handle.db,
      WORKSPACE,
      tenants.flatMap((tenant, t) => [
        apiCall(`m-${t}-1`, tenant, 1, "2027-06-02T10:00:00Z"),
        apiCall(`m-${t}-2`, tenant, 2, "2027-06-03T10:00:00Z"),
      ]),
    );
    const now = () => new Date("2027-06-10T00:00:00Z");
    const pending = async () =>
      (
        await handle.db
          .select({ partition: runtimePartitions.partitionKey, pending: runtimePartitions.pending })
          .from(runtimePartitions)
          .where(inArray(runtimePartitions.partitionKey, tenants))
      ).map((row) => row.pending);
    expect(await pending()).toEqual([2, 2, 2]);
    // A batch of 5 takes every partition, the last one cut short; the next takes what is left of it.
    expect(await processNextBatch(handle.db, { batchSize: 5, now })).toMatchObject({ partitions: 3, events: 5 });
    expect((await pending()).sort()).toEqual([0, 0, 1]);
    expect(await processNextBatch(handle.db, { batchSize: 5, now })).toMatchObject({ partitions: 1, events: 1 });
    expect(await processNextBatch(handle.db, { batchSize: 5, now })).toBeUndefined();
    expect(await pending()).toEqual([0, 0, 0]);
    const june = (await handle.db.select().from(runtimeWindows)).filter((row) =>
      (row.state as { start: string }).start.startsWith("2027-06"),
    );
    expect(
      june
        .map((row) => [
          row.partitionKey,
          (row.state as { count: number; measures: { quantity: string } }).count,
          (row.state as { measures: { quantity: string } }).measures.quantity,
        ])
        .sort(),
    ).toEqual([
      ["acme", 2, "3"],
      ["globex", 2, "3"],
      ["initech", 2, "3"],
    ]);
  });

  it("deploying a version again carries on its open windows: one summary of the month, with every event", async () => {
    const [active] = await handle.db.select().from(deployments).where(eq(deployments.status, "active"));
    await ingestEvents(handle.db, WORKSPACE, [apiCall("r1", "globex", 7, "2027-08-03T10:00:00Z")]);
    await drain(new Date("2027-08-10T00:00:00Z"));
    const again = await deployVersion(handle.db, {
      workspaceId: WORKSPACE,
      versionId: active!.flowVersionId,
      actor: { id: "operator-1", name: "Operator" },
    });
    expect(again.id).not.toBe(active!.id);
    await ingestEvents(handle.db, WORKSPACE, [apiCall("r2", "globex", 5, "2027-08-04T10:00:00Z")]);
    await drain(new Date("2027-08-10T00:00:00Z"));
    await closeDueWindows(handle.db, { now: new Date("2027-09-01T02:00:00Z") });
    const august = await handle.db
      .select({
        count: usageSummaries.eventCount,
        quantity: usageSummaries.quantity,
        deploymentId: usageSummaries.deploymentId,
      })
      .from(usageSummaries)
      .where(eq(usageSummaries.ratingPeriod, "2027-08"));
    expect(august).toEqual([{ count: 2, quantity: "12", deploymentId: again.id }]);
  });
});
