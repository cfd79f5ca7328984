import { and, desc, eq, gte, sql } from "drizzle-orm";
import { flowVersions, usageRecords, type Database } from "@meterflow/db";
import { usageRecordPayload } from "../processing/usage-record-row";

/**
 * Looked back over in turn: a workspace's latest records are nearly always in the first. The BRIN
 * summary on created_at finds a recent window's blocks, where ordering all of a workspace's
 * records (millions, for a busy one) to keep the latest few would read them all.
 */
const lookBack = ["1 hour", "1 day", "30 days", null] as const;

/** A workspace's latest usage records, newest first, each with the record as its flow produced it (`payload`). */
export async function latestUsageRecords(db: Database, workspaceId: string, limit: number) {
  let rows: { row: typeof usageRecords.$inferSelect; flowVersionHash: string }[] = [];
  for (const window of lookBack) {
    rows = await db
      .select({ row: usageRecords, flowVersionHash: flowVersions.contentHash })
      .from(usageRecords)
      .innerJoin(flowVersions, eq(flowVersions.id, usageRecords.flowVersionId))
      .where(and(eq(usageRecords.workspaceId, workspaceId), window ? gte(usageRecords.createdAt, sql`now() - ${window}::interval`) : undefined))
      .orderBy(desc(usageRecords.createdAt), desc(usageRecords.eventSeq))
      .limit(limit);
    if (rows.length === limit) break;
  }
  return rows.map(({ row, flowVersionHash }) => ({
    recordKey: row.recordKey,
    eventSeq: row.eventSeq,
    tenantId: row.tenantId,
    metric: row.metric,
    quantity: row.quantity,
    ratingPeriod: row.ratingPeriod,
    flowVersionId: row.flowVersionId,
    createdAt: row.createdAt,
    payload: usageRecordPayload(row, { flowVersionHash, nodeId: row.nodeId, correlationId: row.correlationId }),
  }));
}
