import { sql } from "drizzle-orm";
import { rowsOf, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarizeNewRanges } from "./summarize-ranges";

describe.each(databaseCases())("summarizeNewRanges on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
  });
  afterAll(async () => handle?.close());

  it("summarises the ranges written since the last call, once", async () => {
    // About 1.6 MB of records: two ranges of 128 pages.
    await handle.db.execute(sql`insert into usage_records (workspace_id, flow_version_id, node_id, record_key, tenant_id, metric, quantity, rating_period, correlation_id, payload)
      select 'w', gen_random_uuid(), 'usage', 'r' || i, 'acme', 'calls', 1, '2026-11', 'c', json_build_object('note', repeat('x', 400)) from generate_series(1, 3000) as i`);
    const [{ pages }] = (await rowsOf<{ pages: number }>(
      handle.db,
      sql`select (pg_relation_size('usage_records') / current_setting('block_size')::int)::int as pages`,
    )) as [{ pages: number }];
    expect(pages).toBeGreaterThan(128);
    expect(await summarizeNewRanges(handle.db)).toBeGreaterThanOrEqual(2);
    expect(await summarizeNewRanges(handle.db)).toBe(0);
  });
});

// Two sessions at once: PostgreSQL only.
const onServer = databaseCases().find((database) => database.name === "postgres");

describe("summarizeNewRanges beside autovacuum", () => {
  it.skipIf(!onServer)("skips a round rather than wait for a lock autovacuum may hold", async () => {
    const handle = await onServer!.open();
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = handle.db.transaction(async (tx) => {
      await tx.execute(sql`lock table usage_records in share update exclusive mode`);
      locked();
      await held;
    });
    await isLocked;
    try {
      expect(await summarizeNewRanges(handle.db)).toBe("busy");
    } finally {
      release();
      await holder;
      await handle.close();
    }
  });
});
