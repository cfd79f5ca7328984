import { sql, type SQL } from "drizzle-orm";
import type { Database } from "./open-database";

/**
 * Runs a raw statement and returns its rows on either driver (postgres.js answers an array,
 * PGlite an object with `rows`). Hot paths use it with one JSON parameter expanded by
 * `jsonb_to_recordset`, which is far cheaper than a query builder binding thousands of values.
 */
export async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * A subquery of a list's elements from one JSON parameter, for `column in ${jsonList(values)}`:
 * one bound value however long the list (as text, or cast to bigint for numeric keys).
 */
export function jsonList(values: readonly (string | number)[], cast?: "bigint"): SQL {
  const elements = sql`jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)`;
  return cast ? sql`(select ${elements}::bigint)` : sql`(select ${elements})`;
}

/**
 * `jsonb_to_recordset` over one JSON parameter, as a relation `r` with the given column
 * definitions (a constant of the caller's, e.g. "node_id text, key text"): rows of any count in
 * one bound value, for inserts and joins.
 */
export function jsonRecords(rows: readonly object[], columns: string): SQL {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(${sql.raw(columns)})`;
}

/** A uuid[] parameter, for `column = any(${uuidArray(ids)})`: an index probe per id, one bound value. */
export function uuidArray(ids: readonly string[]): SQL {
  return sql`${`{${ids.join(",")}}`}::uuid[]`;
}
