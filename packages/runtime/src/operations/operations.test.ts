import { eq } from "drizzle-orm";
import {
  accountMap,
  auditLog,
  contracts,
  exceptions,
  lineage,
  postings,
  priceLists,
  usageRecords,
  usageSummaries,
  type DatabaseHandle,
} from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestEvents } from "../ingest-events";
import { createDispatcher, erpSandboxEndpoint } from "../outbox/dispatch-postings";
import { closeDueWindows } from "../processing/close-windows";
import { processNextBatch } from "../processing/process-events";
import {
  apiCall,
  countersAndRows,
  deployedBillingFlow,
  OPERATOR,
  publishChangedVersion,
  startSandbox,
  WORKSPACE,
} from "../testing/runtime-fixture";
import { decideApproval, listApprovals } from "./approvals";
import { listExceptions, resolveExceptions, retryExceptions } from "./exceptions";
import { erpSandboxLookup, reconcile, type ErpLookup } from "./reconcile";
import { replayEvents } from "./replay";

describe.each(databaseCases())("operating the runtime on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let versionId: string;
  let flowId: string;
  let clock = Date.parse("2026-10-31T00:00:00Z");
  beforeAll(async () => {
    handle = await open();
    sandbox = await startSandbox();
    ({
      version: { id: versionId },
      flow: { id: flowId },
    } = await deployedBillingFlow(handle.db));
  });
  afterAll(async () => {
    await sandbox?.close();
    await handle?.close();
  });
  const drain = async () => {
    while (await processNextBatch(handle.db, { now: () => new Date(clock) }));
  };
  const dispatcher = () =>
    createDispatcher(handle.db, {
      endpoints: { "erp-sandbox@1": { ...erpSandboxEndpoint(sandbox.baseUrl), timeoutMs: 300, ratePerSecond: 1000 } },
      now: () => clock,
      random: () => 0.5,
      breaker: { failureThreshold: 3, cooldownMs: 10_000 },
    });
  /** Ticks the dispatcher, moving the clock past each backoff, until nothing is due. */
  const dispatchAll = async (run = dispatcher()) => {
    for (let round = 0; round < 30; round += 1) {
      await run.tick();
      const waiting = await handle.db.select().from(postings).where(eq(postings.status, "pending"));
      if (waiting.length === 0) return;
      clock = Math.max(clock, ...waiting.map((posting) => posting.nextAttemptAt.getTime()));
    }
  };

  it("retries an unmatched account once reference data is fixed; resolves another with a comment; audits both", async () => {
    await ingestEvents(handle.db, WORKSPACE, [
      apiCall("u1", "umbrella", 2_000, "2026-10-05T10:00:00Z"),
      apiCall("h1", "hooli", 1, "2026-10-05T10:00:00Z"),
      apiCall("a1", "acme", 300_000, "2026-10-03T10:00:00Z"),
    ]);
    await drain();
    const open = await listExceptions(handle.db, WORKSPACE, { status: "open" });
    const umbrella = open.find((exception) => exception.partitionKey === "umbrella")!;
    const hooli = open.find((exception) => exception.partitionKey === "hooli")!;
    expect(umbrella).toMatchObject({ kind: "unmatched_account", raisedBy: "enrich" });

    expect(
      await retryExceptions(handle.db, {
        workspaceId: WORKSPACE,
        ids: [umbrella.id],
        actor: OPERATOR,
        now: new Date(clock),
      }),
    ).toEqual([{ id: umbrella.id, outcome: "still_failing", reason: 'No account for data.tenantId = "umbrella"' }]);
    await handle.db
      .insert(accountMap)
      .values({ workspaceId: WORKSPACE, tenantId: "umbrella", erpAccountId: "ERP-1001", name: "Umbrella" });
    await handle.db.insert(contracts).values({
      workspaceId: WORKSPACE,
      contractId: "C-UMB",
      tenantId: "umbrella",
      priceList: "api-calls-standard",
      region: "eu",
      currency: "EUR",
      startsOn: "2026-01-01",
      entitlements: [],
    });
    expect(
      (
        await retryExceptions(handle.db, {
          workspaceId: WORKSPACE,
          ids: [umbrella.id],
          actor: OPERATOR,
          now: new Date(clock),
        })
      )[0],
    ).toMatchObject({ outcome: "resolved" });
    const [record] = await handle.db.select().from(usageRecords).where(eq(usageRecords.tenantId, "umbrella"));
    expect(record).toMatchObject({ quantity: "2000", contractId: "C-UMB" });
    const afterRetry = await countersAndRows(handle.db); // a retry's record is counted too
    expect(afterRetry.counters).toEqual(afterRetry.rows);
    await expect(
      retryExceptions(handle.db, { workspaceId: WORKSPACE, ids: [umbrella.id], actor: OPERATOR }),
    ).rejects.toThrow(/is resolved; only open exceptions/);

    await resolveExceptions(handle.db, {
      workspaceId: WORKSPACE,
      ids: [hooli.id],
      actor: OPERATOR,
      comment: "test tenant, not billable",
    });
    const [resolved] = await handle.db.select().from(exceptions).where(eq(exceptions.id, hooli.id));
    expect(resolved!.history.map((entry) => entry.action)).toEqual(["raised", "resolved"]);
    const audit = await handle.db.select().from(auditLog).where(eq(auditLog.entityType, "exception"));
    expect(audit.map((entry) => entry.action).sort()).toEqual([
      "exception.resolved",
      "exception.retried",
      "exception.retried",
    ]);
  });

  it("holds a large invoice for approval; approval releases the posting, rejection becomes an exception", async () => {
    await ingestEvents(handle.db, WORKSPACE, [
      apiCall("g1", "globex", 9_000_000, "2026-10-10T10:00:00Z"),
      apiCall("i1", "initech", 8_000_000, "2026-10-10T10:00:00Z"),
    ]);
    await drain();
    clock = Date.parse("2026-11-01T02:00:00Z");
    const closed = await closeDueWindows(handle.db, { now: new Date(clock) });
    expect(closed).toMatchObject({ windows: 4, approvals: 2 });
    const held = await listApprovals(handle.db, WORKSPACE, "pending");
    expect(held.map((approval) => (approval.payload as { tenantId: string }).tenantId).sort()).toEqual([
      "globex",
      "initech",
    ]);
    const globex = held.find((approval) => approval.partitionKey === "globex")!;
    const initech = held.find((approval) => approval.partitionKey === "initech")!;
    await expect(
      decideApproval(handle.db, {
        workspaceId: WORKSPACE,
        approvalId: globex.id,
        decision: "approve",
        actor: OPERATOR,
        actorRoles: ["operator"],
        comment: "looks fine",
      }),
    ).rejects.toThrow(`needs the finance role; ${OPERATOR.name} does not have it`);
    expect(
      await decideApproval(handle.db, {
        workspaceId: WORKSPACE,
        approvalId: globex.id,
        decision: "approve",
        actor: { id: "finance-1", name: "finance-1" },
        actorRoles: ["finance"],
        comment: "expected, big launch",
      }),
    ).toMatchObject({ postings: 1 });
    await expect(
      decideApproval(handle.db, {
        workspaceId: WORKSPACE,
        approvalId: globex.id,
        decision: "reject",
        actor: { id: "finance-2", name: "finance-2" },
        actorRoles: ["finance"],
        comment: "late",
      }),
    ).rejects.toThrow(/already approved by finance-1/);
    expect(
      await decideApproval(handle.db, {
        workspaceId: WORKSPACE,
        approvalId: initech.id,
        decision: "reject",
        actor: { id: "finance-1", name: "finance-1" },
        actorRoles: ["finance"],
        comment: "meter bug",
      }),
    ).toMatchObject({ exceptions: 1 });
    const [rejected] = await listExceptions(handle.db, WORKSPACE, { kind: "approval_rejected" });
    expect(rejected).toMatchObject({ reason: "Rejected by finance-1: meter bug", raisedBy: "approval" });

    await dispatchAll();
    // acme 300,000 calls: 200,000 billable at 0.0010; umbrella 2,000 (also ERP-1001, its own partition): all
    // included; globex 9M: 1M at 0.0010 + 7.9M at 0.0008 = 7,320.00 once approved; initech rejected.
    expect(sandbox.store.invoices.map((invoice) => `${invoice.customer} ${invoice.total}`).sort()).toEqual([
      "ERP-1001 0.00",
      "ERP-1001 200.00",
      "ERP-1002 7320.00",
    ]);
  });

  it("survives ERP 500s, a timeout, a 429 and a response lost after commit without a second invoice; gives up into an erp_failure an operator retries", async () => {
    const before = sandbox.store.invoices.length;
    const earlier = new Set((await handle.db.select({ id: postings.id }).from(postings)).map((posting) => posting.id));
    await ingestEvents(handle.db, WORKSPACE, [apiCall("a-nov", "acme", 400_000, "2026-11-03T10:00:00Z")]);
    await drain();
    clock = Date.parse("2026-12-01T02:00:00Z");
    expect((await closeDueWindows(handle.db, { now: new Date(clock) })).postings).toBe(1);
    sandbox.store.setFaults({ script: ["error", "timeout", "quota", "drop_after_commit"] });
    await dispatchAll();
    expect(sandbox.store.invoices.length).toBe(before + 1);
    // The posting that close made (by id: the ones before were stamped by this test's clock and by
    // the database's, which a later day puts after it).
    const [posting, ...others] = (await handle.db.select().from(postings)).filter((row) => !earlier.has(row.id));
    expect(others).toEqual([]);
    expect(posting!.status).toBe("posted");
    expect(posting!.attemptLog.map((attempt) => attempt.response?.status ?? attempt.error?.slice(0, 10))).toEqual([
      500,
      "no answer ",
      429,
      "network er",
      200,
    ]);
    expect(posting!.erpDocumentId).toBe(sandbox.store.invoices.at(-1)!.id);

    await ingestEvents(handle.db, WORKSPACE, [apiCall("g-nov", "globex", 1_000_000, "2026-11-04T10:00:00Z")]);
    await drain();
    await closeDueWindows(handle.db, { now: new Date(clock) });
    sandbox.store.setFaults({ errorRate: 1 });
    await dispatchAll();
    const [failure] = await listExceptions(handle.db, WORKSPACE, { kind: "erp_failure" });
    expect(failure!.reason).toMatch(/Gave up after 8 attempts: 500/);
    sandbox.store.setFaults({ errorRate: 0 });
    expect(
      (
        await retryExceptions(handle.db, {
          workspaceId: WORKSPACE,
          ids: [failure!.id],
          actor: OPERATOR,
          now: new Date(clock),
        })
      )[0],
    ).toMatchObject({ outcome: "queued" });
    clock += 60_000; // past the open circuit
    await dispatchAll();
    const [after] = await handle.db.select().from(exceptions).where(eq(exceptions.id, failure!.id));
    expect(after!.status).toBe("resolved");
    expect(sandbox.store.invoices.length).toBe(before + 2);
  });

  it("replays October as a dry run with no differences, and a backfill posts nothing twice", async () => {
    const range = {
      workspaceId: WORKSPACE,
      flowVersionId: versionId,
      from: new Date("2026-10-01T00:00:00Z"),
      to: new Date("2026-11-01T00:00:00Z"),
      actor: OPERATOR,
      now: new Date(clock),
    };
    const dry = await replayEvents(handle.db, { ...range, mode: "dry_run" });
    expect(dry.events).toBe(5);
    expect(dry.outcomes).toEqual({ validated: 4, duplicate: 0, exception: 1 });
    // Umbrella was validated by a retry (resumed at Enrich): the replay agrees with what was produced.
    expect(dry.differences).toEqual([]);
    const invoices = sandbox.store.invoices.length;
    const stored = await replayEvents(handle.db, { ...range, mode: "backfill" });
    expect(stored.stored).toEqual({ records: 0, summaries: 0, postings: 0 });
    expect(stored.alreadySummarised.map(({ versionNumber }) => versionNumber)).toEqual([1, 1, 1, 1]);
    await dispatchAll();
    expect(sandbox.store.invoices.length).toBe(invoices);

    // Through a new version that keys windows alike: its postings would have other idempotency
    // keys, so only knowing the months were summarised keeps them from being invoiced twice.
    const second = await publishChangedVersion(
      handle.db,
      flowId,
      (document) => void (document.metadata.description = "Backfilled"),
    );
    const backfill = await replayEvents(handle.db, { ...range, flowVersionId: second.id, mode: "backfill" });
    expect(backfill.stored).toEqual({ records: 0, summaries: 0, postings: 0 });
    expect(backfill.alreadySummarised.map(({ versionNumber }) => versionNumber)).toEqual([1, 1, 1, 1]);
    await dispatchAll();
    expect(sandbox.store.invoices.length).toBe(invoices);
  });

  it("reconciles raw events, records, aggregates, postings and the ERP per tenant, metric and period", async () => {
    const report = await reconcile(handle.db, {
      workspaceId: WORKSPACE,
      from: new Date("2026-10-01T00:00:00Z"),
      to: new Date("2026-12-01T00:00:00Z"),
      erp: erpSandboxLookup(sandbox.baseUrl),
    });
    const acme = report.rows.find((row) => row.tenant === "acme" && row.period === "2026-10")!;
    expect(acme).toMatchObject({
      rawEvents: 1,
      validatedEvents: 1,
      records: { count: 1, quantity: "300000" },
      aggregates: { events: 1, quantity: "300000", closed: 1 },
      posted: { lines: 1, amount: "200.00", currencies: ["EUR"] },
      erp: { lines: 1, amount: "200.00", currencies: ["EUR"], missing: 0 },
    });
    expect(
      report.differences.map((difference) => `${difference.tenant} ${difference.period} ${difference.check}`).sort(),
    ).toEqual(["initech 2026-10 aggregates_vs_posted"]);
    expect(report.differences[0]).toMatchObject({ expected: "1 closed window posted", actual: "1 not posted" });

    // An ERP that holds the invoice in another currency, and one that lost it.
    const acmeAgainst = async (erp: ErpLookup) =>
      (
        await reconcile(handle.db, {
          workspaceId: WORKSPACE,
          from: new Date("2026-10-01T00:00:00Z"),
          to: new Date("2026-11-01T00:00:00Z"),
          tenant: "acme",
          erp,
        })
      ).differences.filter((difference) => difference.check === "posted_vs_erp");
    expect(
      await acmeAgainst(async (key) => ({
        id: key,
        currency: "USD",
        lines: [{ quantity: "200000", amount: "200.00" }],
      })),
    ).toMatchObject([{ expected: "1 line, 200.00 EUR", actual: "1 line, 200.00 USD" }]);
    expect(await acmeAgainst(async () => undefined)).toMatchObject([
      { expected: "1 line, 200.00 EUR", actual: "0 lines, 0, 1 document missing" },
    ]);
    // One that names no currency is compared by amount.
    expect(await acmeAgainst(async (key) => ({ id: key, lines: [{ quantity: "200000", amount: "200.00" }] }))).toEqual(
      [],
    );
  });

  it("rates a month with the price list in effect at its start; a mid-month change applies from the next month", async () => {
    await handle.db
      .update(priceLists)
      .set({ effectiveTo: new Date("2026-12-15T00:00:00Z") })
      .where(eq(priceLists.workspaceId, WORKSPACE));
    await handle.db.insert(priceLists).values({
      workspaceId: WORKSPACE,
      name: "api-calls-standard",
      version: 2,
      region: "global",
      currency: "EUR",
      effectiveFrom: new Date("2026-12-15T00:00:00Z"),
      includedUnits: "100000",
      tiers: [{ upTo: null, unitPrice: "0.0020" }],
    });
    await ingestEvents(handle.db, WORKSPACE, [
      apiCall("d1", "acme", 200_000, "2026-12-10T10:00:00Z"),
      apiCall("d2", "acme", 200_000, "2026-12-20T10:00:00Z"),
      apiCall("j1", "acme", 200_000, "2027-01-05T10:00:00Z"),
    ]);
    clock = Date.parse("2027-02-01T02:00:00Z");
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the reference-data cache is one second old at most
    await drain();
    await closeDueWindows(handle.db, { now: new Date(clock) });
    await dispatchAll();
    const lines = sandbox.store.invoices
      .filter((invoice) => invoice.customer === "ERP-1001")
      .flatMap((invoice) => invoice.lines.map((line) => `${line.description} ${line.amount}`));
    expect(lines).toContain("api_calls 2026-12 300.00");
    expect(lines).toContain("api_calls 2027-01 200.00");
    const rated = await handle.db.select().from(lineage).where(eq(lineage.nodeId, "rate"));
    expect(rated.map((link) => link.pricingRuleVersion)).toEqual(
      expect.arrayContaining(["api-calls-standard@1/global", "api-calls-standard@2/global"]),
    );
  });

  it("a backfill makes what no version made: the month of a tenant whose events failed before its account existed", async () => {
    await ingestEvents(handle.db, WORKSPACE, [apiCall("p1", "pied-piper", 250_000, "2026-08-10T10:00:00Z")]);
    await drain();
    const [unmatched] = await handle.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.reason, 'No account for data.tenantId = "pied-piper"'));
    expect(unmatched).toMatchObject({ kind: "unmatched_account" });
    const [account] = await handle.db.select().from(accountMap).where(eq(accountMap.tenantId, "acme"));
    const [contract] = await handle.db.select().from(contracts).where(eq(contracts.tenantId, "acme"));
    await handle.db.insert(accountMap).values({ ...account!, tenantId: "pied-piper", erpAccountId: "ERP-1003" });
    const { id: _contractId, ...terms } = contract!;
    await handle.db.insert(contracts).values({ ...terms, tenantId: "pied-piper", contractId: "C-PIED" });

    const august = {
      workspaceId: WORKSPACE,
      flowVersionId: versionId,
      from: new Date("2026-08-01T00:00:00Z"),
      to: new Date("2026-09-01T00:00:00Z"),
      actor: OPERATOR,
      mode: "backfill" as const,
      now: new Date(clock),
    };
    const first = await replayEvents(handle.db, august);
    expect(first).toMatchObject({ stored: { records: 1, summaries: 1, postings: 1 }, alreadySummarised: [] });
    await dispatchAll();
    // 250,000 calls, 100,000 included, 150,000 at 0.0010 EUR.
    const august2026 = sandbox.store.invoices.filter((invoice) =>
      invoice.lines.some((line) => line.description === "api_calls 2026-08"),
    );
    expect(august2026.map((invoice) => `${invoice.customer} ${invoice.total}`)).toEqual(["ERP-1003 150.00"]);

    const again = await replayEvents(handle.db, august);
    expect(again).toMatchObject({
      stored: { records: 0, summaries: 0, postings: 0 },
      alreadySummarised: [{ versionNumber: 1 }],
    });
    // The backfill's record is counted once, the repeat's not at all.
    const totals = await countersAndRows(handle.db);
    expect(totals.counters).toEqual(totals.rows);
  });

  it("a backfill leaves a month the runtime keeps open to it: it is billed once, when it closes", async () => {
    await ingestEvents(handle.db, WORKSPACE, [apiCall("m1", "globex", 150_000, "2027-03-05T10:00:00Z")]);
    await drain();
    const march = {
      workspaceId: WORKSPACE,
      flowVersionId: versionId,
      from: new Date("2027-03-01T00:00:00Z"),
      to: new Date("2027-04-01T00:00:00Z"),
      actor: OPERATOR,
      mode: "backfill" as const,
      now: new Date("2027-05-01T00:00:00Z"),
    };
    const backfill = await replayEvents(handle.db, march);
    expect(backfill).toMatchObject({
      stored: { records: 0, summaries: 0, postings: 0 },
      alreadySummarised: [],
      openInRuntime: [{ versionNumber: 1 }],
    });
    await closeDueWindows(handle.db, { now: new Date("2027-04-01T02:00:00Z") });
    expect(
      await handle.db.select().from(usageSummaries).where(eq(usageSummaries.ratingPeriod, "2027-03")),
    ).toHaveLength(1);
  });
});
