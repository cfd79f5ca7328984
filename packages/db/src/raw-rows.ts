import { sql, type SQL } from "drizzle-orm";
import { unstorableCharacter, violatesUnique } from "./errors";
import type { Database } from "./open-database";

/**
 * Runs a raw statement and returns its rows on either driver (postgres.js answers an array,
 * PGlite an object with `rows`). Hot paths use it with rows in one or a few parameters
 * (`columnRecords` for rows per event, `jsonRecords` for a few), far cheaper than a query builder
 * binding thousands of values.
 */
export async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * Runs an insert as if none of its rows repeated a key of the named unique constraint and, when
 * one does, again skipping repeats (`insert(into, true)`, e.g. with ON CONFLICT DO NOTHING):
 * checking every row (ON CONFLICT) was about a quarter of an insert's PostgreSQL time, and
 * repeats are rare (a client's retry, a retried item). A failed statement aborts the transaction
 * it is in, so inside one the first attempt runs in a savepoint (`savepoint: true`).
 */
export async function insertAssumingNew<T>(
  db: Database,
  constraint: string,
  insert: (into: Database, skipRepeats: boolean) => Promise<T>,
  { savepoint = false } = {},
): Promise<T> {
  try {
    return savepoint ? await db.transaction((inner) => insert(inner, false)) : await insert(db, false);
  } catch (error) {
    if (!violatesUnique(error, constraint)) throw error;
    return insert(db, true);
  }
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

/** A count stopped at a cap: `capped` when there were more. */
export type CappedCount = { count: number; capped: boolean };

/**
 * How many rows a query (`select 1 from …`) gives, counted up to `cap`: beyond it, `capped` (a
 * badge then says "10000+"). For counts the Operations page polls every few seconds, which a
 * flood (of exceptions, of open windows) would otherwise make read everything each time.
 */
export async function countUpTo(db: Database, rows: SQL, cap = 10_000): Promise<CappedCount> {
  const [row] = await rowsOf<{ count: number }>(
    db,
    sql`select count(*)::int as count from (${rows} limit ${cap + 1}) as counted`,
  );
  const count = row?.count ?? 0;
  return count > cap ? { count: cap, capped: true } : { count, capped: false };
}

/**
 * Writes rows a chunk at a time (1,000 by default), for inserts that bind a parameter per field
 * (a query builder's VALUES list): PostgreSQL takes at most 65,535 parameters in a statement,
 * which a few thousand rows of a dozen fields pass. In the caller's transaction, the chunks
 * commit together.
 */
export async function inChunks<T>(
  rows: readonly T[],
  write: (chunk: T[]) => Promise<unknown>,
  size = 1_000,
): Promise<void> {
  for (let start = 0; start < rows.length; start += size) await write(rows.slice(start, start + size));
}

/** One column of `columnRecords`: its SQL type and its values, row by row (JSON texts for json and jsonb). */
export type RecordColumn = readonly [type: string, values: readonly unknown[]];

/**
 * Rows given column by column, as a relation `r` with the given columns: each column's values
 * in one JSON array parameter, cast to its type, and json or jsonb columns one JSON text per
 * line of one text parameter (JSON.stringify never writes a raw newline), zipped by position.
 * A column whose rows all hold the same value (one source or type per request, one node or
 * month per batch) is sent once, as a constant. PostgreSQL parses a value once here;
 * `jsonRecords` makes a jsonb document of every row first, which cost three times as much for a
 * batch of usage records (16.8 against 5.5 µs of PostgreSQL CPU per row). The relation's `ord`
 * column numbers the rows from 1.
 */
export function columnRecords(columns: Record<string, RecordColumn>): SQL {
  const names = Object.keys(columns);
  const constant = new Set(names.filter((name) => sameInEveryRow(columns[name]![1])));
  // Rows come from the columns sent row by row: at least one is.
  if (constant.size === names.length) constant.delete(names[0]!);
  const listed = names.filter((name) => !constant.has(name));
  const sources = listed.map((name) => {
    const [type, values] = columns[name]!;
    return type === "json" || type === "jsonb"
      ? sql`string_to_table(${values.join("\n")}::text, E'\\n')`
      : sql`json_array_elements_text(${JSON.stringify(values)}::json)`;
  });
  const typed = names.map((name) => {
    const [type, values] = columns[name]!;
    if (!constant.has(name)) return sql.raw(`c${listed.indexOf(name)}::${type} as ${name}`);
    const value = values[0];
    return value === null || value === undefined
      ? sql.raw(`null::${type} as ${name}`)
      : sql`${String(value)}::text::${sql.raw(type)} as ${sql.raw(name)}`;
  });
  return sql`(select ${sql.join(typed, sql`, `)}, ord from rows from (${sql.join(sources, sql`, `)}) with ordinality as c(${sql.raw(listed.map((_, i) => `c${i}`).join(", "))}, ord)) as r`;
}

function sameInEveryRow(values: readonly unknown[]): boolean {
  if (values.length < 2) return false;
  const first = values[0];
  for (let row = 1; row < values.length; row += 1) if (values[row] !== first) return false;
  // Text PostgreSQL cannot hold goes row by row, where it fails as such (see refusedText) rather
  // than being sent as a parameter the driver would alter or the server refuse otherwise.
  if (typeof first === "string") return !unstorableCharacter.test(first);
  return typeof first !== "object" || first === null;
}
