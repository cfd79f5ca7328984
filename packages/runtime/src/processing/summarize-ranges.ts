import { sql } from "drizzle-orm";
import { lockNotAvailable, rowsOf, type Database } from "@meterflow/db";

/** The BRIN summaries the runtime reads by: usage records by creation time and by rating period, raw events by time. */
const summaries = ["usage_records_created_brin", "usage_records_period_brin", "events_raw_time_brin"] as const;

/**
 * Summarises the page ranges of usage_records and events_raw written since the last call. A BRIN scan reads
 * every range not summarised yet, and autovacuum summarises them only on its rounds (a minute
 * apart or more): at tens of thousands of records a second that was millions of rows read by
 * each look for the latest records or a period's. Each call reads only the pages written since
 * the one before. Summarising takes a lock autovacuum takes too: if it is held, this skips the
 * round after 50 ms rather than wait (a waiter would make PostgreSQL cancel autovacuum's work).
 * Returns the ranges summarised, or "busy".
 */
export async function summarizeNewRanges(db: Database): Promise<number | "busy"> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '50ms'`);
      let ranges = 0;
      for (const index of summaries) {
        const [row] = await rowsOf<{ ranges: number }>(
          tx,
          sql`select brin_summarize_new_values(${index}::regclass)::int as ranges`,
        );
        ranges += row?.ranges ?? 0;
      }
      return ranges;
    });
  } catch (error) {
    if (lockNotAvailable(error)) return "busy";
    throw error;
  }
}
