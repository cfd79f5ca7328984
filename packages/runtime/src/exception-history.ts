import { sql, type SQL } from "drizzle-orm";
import { exceptions, type ExceptionHistoryEntry } from "@meterflow/db";

/** Appends to an exception's history in the UPDATE itself, so concurrent actions never lose an entry. */
export function historyAppend(entry: ExceptionHistoryEntry): SQL {
  return sql`${exceptions.history} || ${JSON.stringify([entry])}::jsonb`;
}
