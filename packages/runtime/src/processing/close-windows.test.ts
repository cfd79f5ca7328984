import { and, eq, isNotNull } from "drizzle-orm";
import { postings, usageSummaries, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, ingestMany, deployedBillingFlow, windowPerQuantity, WORKSPACE } from "../testing/runtime-fixture";
import { closeDueWindows, countOpenWindows, listOpenWindows } from "./close-windows";
import { processNextBatch } from "./process-events";

describe.each(databaseCases())("closing many windows of one partition at once on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
  });
  afterAll(async () => handle?.close());

  it("summarises 5,000 windows of one tenant in one close and puts each on a posting", {
    timeout: 120_000,
  }, async () => {
    // As VALUES lists, 5,000 summaries of 14 fields passed PostgreSQL's 65,535 parameters: the
    // close failed at every tick and the month was never billed.
    await deployedBillingFlow(handle.db, windowPerQuantity());
    await ingestMany(handle.db, 5_000, (i) => apiCall(`w-${i}`, "acme", i + 1, "2027-11-02T10:00:00Z"));
    while (await processNextBatch(handle.db, { batchSize: 5_000, now: () => new Date("2027-11-03T00:00:00Z") }));
    // The Operations page lists the 100 closing soonest and counts the rest, up to a cap.
    expect(await listOpenWindows(handle.db, WORKSPACE)).toHaveLength(100);
    expect(await countOpenWindows(handle.db, WORKSPACE)).toEqual({ count: 5_000, capped: false });
    expect(await countOpenWindows(handle.db, WORKSPACE, 1_000)).toEqual({ count: 1_000, capped: true });
    const closed = await closeDueWindows(handle.db, { now: new Date("2027-12-01T02:00:00Z") });
    expect(closed).toMatchObject({ partitions: 1, windows: 5_000 });
    // Every window is a line of a posting (the ERP takes an invoice's lines in parts).
    expect(
      await handle.db.$count(
        usageSummaries,
        and(eq(usageSummaries.ratingPeriod, "2027-11"), isNotNull(usageSummaries.postingKey)),
      ),
    ).toBe(5_000);
    expect(await handle.db.$count(postings)).toBe(closed.postings);
    expect(await closeDueWindows(handle.db, { now: new Date("2027-12-02T00:00:00Z") })).toMatchObject({ windows: 0 });
  });
});
