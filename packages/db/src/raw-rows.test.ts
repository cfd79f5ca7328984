import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { columnRecords, rowsOf } from "./raw-rows";
import { databaseCases } from "./testing/database-cases";

describe.each(databaseCases())("columnRecords on $name", (database) => {
  it("zips columns by position, keeping nulls, numbers and JSON documents whose strings hold newlines", async () => {
    const handle = await database.open();
    try {
      const documents = [{ note: "two\nlines", nested: { list: [1, "x"] } }, { note: null }, { tab: "\t", quote: '"' }];
      const rows = await rowsOf<{ name: string | null; amount: string; doc: unknown; ids: string; ord: string | number }>(
        handle.db,
        sql`select name, amount::text as amount, doc, jsonb_typeof(ids) || ' ' || jsonb_array_length(ids) as ids, ord from ${columnRecords({
          name: ["text", ["first", null, "third"]],
          amount: ["numeric", ["1.50", 2, "0.0010"]],
          doc: ["json", documents.map((document) => JSON.stringify(document))],
          ids: ["jsonb", [JSON.stringify(["a"]), JSON.stringify([]), JSON.stringify(["b", "c\nd"])]],
        })} order by ord`,
      );
      expect(rows.map((row) => ({ ...row, ord: Number(row.ord) }))).toEqual([
        { name: "first", amount: "1.50", doc: documents[0], ids: "array 1", ord: 1 },
        { name: null, amount: "2", doc: documents[1], ids: "array 0", ord: 2 },
        { name: "third", amount: "0.0010", doc: documents[2], ids: "array 2", ord: 3 },
      ]);
    } finally {
      await handle.close();
    }
  });
});
