import { and, eq, sql } from "drizzle-orm";
import { accountMap, exceptions, rowsOf, runtimeWindows, storeRawEvents, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiCall, deployedBillingFlow, ingestMany, windowPerQuantity, WORKSPACE } from "../testing/runtime-fixture";
import { closeDueWindows } from "./close-windows";
import { PRELOADED_WINDOWS, referenceDataOf } from "./partition-run";
import { processNextBatch } from "./process-events";

describe.each(databaseCases())("reference data kept in memory on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await deployedBillingFlow(handle.db);
  });
  afterAll(async () => handle?.close());

  it("is read again after a second only if the reference data version moved, and at once when asked for fresh data", async () => {
    const setAcme = (erpAccountId: string) =>
      handle.db
        .update(accountMap)
        .set({ erpAccountId })
        .where(and(eq(accountMap.workspaceId, WORKSPACE), eq(accountMap.tenantId, "acme")));
    let now = Date.now();
    const clock = vi.spyOn(Date, "now").mockImplementation(() => now);
    try {
      const first = await referenceDataOf(handle.db, WORKSPACE);
      now += 5_000;
      expect(await referenceDataOf(handle.db, WORKSPACE)).toBe(first); // unchanged: the same copy

      await setAcme("ERP-9001");
      expect(await referenceDataOf(handle.db, WORKSPACE)).toBe(first); // within its second
      now += 1_000;
      const reread = await referenceDataOf(handle.db, WORKSPACE);
      expect(reread).not.toBe(first);
      expect(reread.accounts?.acme).toMatchObject({ erpAccountId: "ERP-9001" });

      await setAcme("ERP-9002");
      expect((await referenceDataOf(handle.db, WORKSPACE, true)).accounts?.acme).toMatchObject({
        erpAccountId: "ERP-9002",
      });

      // The workers of a process find the version moved at once after an edit: one load serves them.
      await setAcme("ERP-9003");
      now += 1_000;
      const [a, b] = await Promise.all([referenceDataOf(handle.db, WORKSPACE), referenceDataOf(handle.db, WORKSPACE)]);
      expect(a.accounts?.acme).toMatchObject({ erpAccountId: "ERP-9003" });
      expect(b).toBe(a);
      expect(await referenceDataOf(handle.db, WORKSPACE)).toBe(a);
    } finally {
      clock.mockRestore();
    }
  });
});

describe.each(databaseCases())("a partition with more open windows than are preloaded on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await deployedBillingFlow(handle.db, windowPerQuantity());
  });
  afterAll(async () => handle?.close());

  it("looks its windows up by key: events join the open ones, new ones open, and one kept by another partition is refused", {
    timeout: 120_000,
  }, async () => {
    const windows = 1_500;
    expect(windows).toBeGreaterThan(PRELOADED_WINDOWS); // else this partition's windows would all be loaded
    const now = () => new Date("2027-11-03T00:00:00Z");
    await ingestMany(handle.db, windows, (i) => apiCall(`open-${i}`, "acme", i + 1, "2027-11-02T10:00:00Z"));
    while (await processNextBatch(handle.db, { batchSize: 5_000, now }));

    // 200 events into windows already open (the last opened, not among those a partial load reads
    // first), 100 into new ones, and one stored under another partition key for an open window.
    await ingestMany(handle.db, 300, (i) =>
      apiCall(`more-${i}`, "acme", i < 200 ? windows - i : 10_000 + i, "2027-11-05T10:00:00Z"),
    );
    const elsewhere = apiCall("elsewhere", "acme", windows - 300, "2027-11-05T11:00:00Z");
    await storeRawEvents(handle.db, WORKSPACE, [
      {
        source: elsewhere.source,
        eventId: elsewhere.id,
        type: elsewhere.type,
        subject: "user-7",
        time: elsewhere.time,
        partitionKey: "user-7",
        correlationId: "elsewhere",
        envelope: elsewhere,
      },
    ]);
    expect(await processNextBatch(handle.db, { batchSize: 5_000, now })).toMatchObject({
      partitions: 2,
      events: 301,
      outcomes: { validated: 300, exception: 1 },
    });

    const counts = (await handle.db.select({ state: runtimeWindows.state }).from(runtimeWindows)).map(
      (row) =>
        [
          Number((row.state as { group: { quantity: string } }).group.quantity),
          (row.state as { count: number }).count,
        ] as const,
    );
    expect(counts).toHaveLength(windows + 100);
    expect(
      counts.filter(([quantity, count]) => count !== (quantity > windows - 200 && quantity <= windows ? 2 : 1)),
    ).toEqual([]);
    const [refused] = await handle.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.eventKeys, ["/gateway#elsewhere"]));
    expect(refused!.reason).toMatch(/is kept by partition "acme", and this event is in partition "user-7"/);

    // Closing lists the partition's windows, all of them.
    expect(await closeDueWindows(handle.db, { now: new Date("2027-12-01T02:00:00Z") })).toMatchObject({
      partitions: 1,
      windows: windows + 100,
    });
    const [summarised] = await rowsOf<{ events: string }>(
      handle.db,
      sql`select sum(event_count) as events from usage_summaries`,
    );
    expect(Number(summarised!.events)).toBe(windows + 300);
  });
});
