import { sql } from "drizzle-orm";
import { rowsOf, usageRecords, type DatabaseHandle } from "@meterflow/db";
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
    await handle.db
      .insert(usageRecords)
      .values([
        record("old", "40 days"),
        record("days", "2 days"),
        record("hours", "3 hours"),
        record("new", "10 minutes"),
        record("elsewhere", "1 minute", "w-other"),
      ] as never);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("answers newest first, looking further back only while it has fewer than asked", async () => {
    expect((await latestUsageRecords(handle.db, WORKSPACE, 1)).map((row) => row.recordKey)).toEqual(["map:new"]);
    expect((await latestUsageRecords(handle.db, WORKSPACE, 3)).map((row) => row.recordKey)).toEqual([
      "map:new",
      "map:hours",
      "map:days",
    ]);
    expect((await latestUsageRecords(handle.db, WORKSPACE, 10)).map((row) => row.recordKey)).toEqual([
      "map:new",
      "map:hours",
      "map:days",
      "map:old",
    ]);
  });

  it("finds the latest in the table's last pages, further back while they hold fewer, and a newer one written earlier in the table", async () => {
    const workspaceId = "w-many";
    const record = (key: string, minutesAgo: number, workspace = workspaceId) =>
      sql`(${workspace}, ${versionId}::uuid, 'map', ${`map:${key}`}, null, 'acme', 'api_calls', 1, '2026-11', ${key}, ${JSON.stringify({ note: "x".repeat(200) })}::json, now() - make_interval(mins => ${minutesAgo}))`;
    const insert = (rows: ReturnType<typeof record>[]) =>
      handle.db.execute(
        sql`insert into usage_records (workspace_id, flow_version_id, node_id, record_key, event_seq, tenant_id, metric, quantity, rating_period, correlation_id, payload, created_at) values ${sql.join(rows, sql`, `)}`,
      );
    await insert(Array.from({ length: 120 }, (_, i) => record(`m${i}`, 1000 - i)));
    const blockOf = async (key: string) =>
      Number(
        (
          await rowsOf<{ block: string }>(
            handle.db,
            sql`select (ctid::text::point)[0] as block from usage_records where record_key = ${key}`,
          )
        )[0]!.block,
      );
    const latest = async (limit: number) =>
      (await latestUsageRecords(handle.db, workspaceId, limit, { tailPages: 1 })).map((row) => row.recordKey);
    expect(await blockOf("map:m119")).toBeGreaterThan(2); // the table is several pages long
    expect(await latest(3)).toEqual(["map:m119", "map:m118", "map:m117"]);

    // A newer record in an early page (an update stays in its page when the page has room).
    await handle.db.execute(sql`delete from usage_records where record_key = 'map:m1'`);
    await handle.db.execute(sql`vacuum usage_records`);
    await handle.db.execute(sql`update usage_records set created_at = now() where record_key = 'map:m2'`);
    expect(await blockOf("map:m2")).toBe(0);
    expect(await latest(3)).toEqual(["map:m2", "map:m119", "map:m118"]);

    // Another workspace's records fill the last pages: this one's latest are further back.
    await insert(Array.from({ length: 60 }, (_, i) => record(`o${i}`, 500 - i, "w-busy")));
    expect(await latest(2)).toEqual(["map:m2", "map:m119"]);
    expect((await latest(200)).length).toBe(119);
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
