import { and, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { flowVersions, rowsOf, usageRecords, type Database } from "@meterflow/db";
import { usageRecordPayload } from "../processing/usage-record-row";

/** Pages of the table's end read first for a workspace's latest records, then eight times as many, and so on. */
const TAIL_PAGES = 128;

/**
 * A workspace's latest usage records, newest first, each with the record as its flow produced it
 * (`payload`). Records are appended, so the latest are nearly always in the table's last pages:
 * those are read first (a TID range, more of them only while they hold fewer than asked) for the
 * creation time the latest `limit` reach back to; then every record made since then, found
 * through the BRIN summary on created_at, which also finds one written into space an aborted
 * batch left earlier in the table. Without an index ordered by time (a b-tree cost about 1.5 µs
 * per record at insert), ordering a busy workspace's last hour or day read and sorted all of
 * it: 165 ms per poll of the Operations page for 300,000 records made in the last hour.
 */
export async function latestUsageRecords(
  db: Database,
  workspaceId: string,
  limit: number,
  { tailPages = TAIL_PAGES } = {},
) {
  const found = await db.transaction(async (tx) => {
    // The reads of a part of the table must use the TID range and the BRIN summary, also before
    // statistics exist (the planner then guesses a third of the table and scans it all).
    await tx.execute(sql`set local enable_seqscan = off`);
    const [{ pages } = { pages: 0 }] = await rowsOf<{ pages: number }>(
      tx,
      sql`select (pg_relation_size('usage_records') / current_setting('block_size')::int)::int as pages`,
    );
    let since: Date | string | null = null;
    for (let tail = tailPages; ; tail *= 8) {
      if (tail >= pages) break; // the whole table: no bound
      const recent = await rowsOf<{ created_at: Date | string }>(
        tx,
        sql`select created_at from usage_records where ctid >= ${`(${pages - tail},0)`}::tid and workspace_id = ${workspaceId} order by created_at desc limit ${limit}`,
      );
      if (recent.length === limit) {
        since = recent[limit - 1]!.created_at;
        break;
      }
    }
    // Without a bound every page is read: sequentially, not through an index.
    if (since === null) await tx.execute(sql`set local enable_seqscan = on`);
    return tx
      .select()
      .from(usageRecords)
      .where(
        and(
          eq(usageRecords.workspaceId, workspaceId),
          since === null ? undefined : gte(usageRecords.createdAt, new Date(since)),
        ),
      )
      .orderBy(desc(usageRecords.createdAt), desc(usageRecords.eventSeq))
      .limit(limit);
  });
  const versionIds = [...new Set(found.map((row) => row.flowVersionId))];
  const hashes = new Map(
    versionIds.length === 0
      ? []
      : (
          await db
            .select({ id: flowVersions.id, contentHash: flowVersions.contentHash })
            .from(flowVersions)
            .where(inArray(flowVersions.id, versionIds))
        ).map((version) => [version.id, version.contentHash]),
  );
  return found.map((row) => ({
    recordKey: row.recordKey,
    eventSeq: row.eventSeq,
    tenantId: row.tenantId,
    metric: row.metric,
    quantity: row.quantity,
    ratingPeriod: row.ratingPeriod,
    flowVersionId: row.flowVersionId,
    createdAt: row.createdAt,
    payload: usageRecordPayload(row, {
      flowVersionHash: hashes.get(row.flowVersionId)!,
      nodeId: row.nodeId,
      correlationId: row.correlationId,
    }),
  }));
}
