import { partitionTotals, postings, type Database } from "@meterflow/db";
import { count, eq } from "drizzle-orm";
import { countOpenExceptions } from "./exceptions";

/**
 * A workspace's runtime at a glance, as the Operations page's header and /metrics show it: events
 * stored and pending and usage records made (from the partitions' counters), postings by status,
 * and open exceptions (counted up to 10,000, capped beyond).
 */
export async function workspaceCounts(db: Database, workspaceId: string) {
  const [totals, postingRows, openExceptions] = await Promise.all([
    partitionTotals(db, workspaceId),
    db
      .select({ status: postings.status, count: count() })
      .from(postings)
      .where(eq(postings.workspaceId, workspaceId))
      .groupBy(postings.status),
    countOpenExceptions(db, workspaceId),
  ]);
  return { ...totals, postings: Object.fromEntries(postingRows.map((row) => [row.status, row.count])), openExceptions };
}

export type WorkspaceCounts = Awaited<ReturnType<typeof workspaceCounts>>;
