import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "@meterflow/db";

/**
 * Deletes the dedupe keys whose Dedupe node's window has passed: lookups ignore them already, and
 * without this the table only grows (a key per event). In chunks, so no statement holds many rows.
 * Returns how many went.
 */
export async function pruneExpiredDedupeKeys(
  db: Database,
  options: { now?: Date; chunk?: number } = {},
): Promise<number> {
  const nowMs = (options.now ?? new Date()).getTime();
  const chunk = options.chunk ?? 10_000;
  let total = 0;
  for (;;) {
    const [row] = await rowsOf<{ deleted: number }>(
      db,
      sql`with gone as (delete from dedupe_keys where ctid in (select ctid from dedupe_keys where expires_at_ms <= ${nowMs} limit ${chunk}) returning 1)
          select count(*)::int as deleted from gone`,
    );
    total += row?.deleted ?? 0;
    if ((row?.deleted ?? 0) < chunk) return total;
  }
}
