import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { refusedText } from "./errors";
import { columnRecords, rowsOf } from "./raw-rows";
import { databaseCases } from "./testing/database-cases";

describe.each(databaseCases())("columnRecords on $name", (database) => {
  it("zips columns by position, keeping nulls, numbers and JSON documents whose strings hold newlines", async () => {
    const handle = await database.open();
    try {
      const documents = [{ note: "two\nlines", nested: { list: [1, "x"] } }, { note: null }, { tab: "\t", quote: '"' }];
      const rows = await rowsOf<{
        name: string | null;
        amount: string;
        doc: unknown;
        ids: string;
        ord: string | number;
      }>(
        handle.db,
        sql`select name, amount::text as amount, doc, jsonb_typeof(ids) || ' ' || jsonb_array_length(ids) as ids, ord from ${columnRecords(
          {
            name: ["text", ["first", null, "third"]],
            amount: ["numeric", ["1.50", 2, "0.0010"]],
            doc: ["json", documents.map((document) => JSON.stringify(document))],
            ids: ["jsonb", [JSON.stringify(["a"]), JSON.stringify([]), JSON.stringify(["b", "c\nd"])]],
          },
        )} order by ord`,
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

  it("sends a column whose rows all hold one value once, and gives the same rows", async () => {
    const handle = await database.open();
    try {
      const same = (rows: number) => Array.from({ length: rows });
      const relation = columnRecords({
        id: ["text", ["a", "b", "c"]],
        source: ["text", same(3).map(() => "/gw")],
        subject: ["text", same(3).map(() => null)],
        seq: ["bigint", same(3).map(() => 7)],
        doc: ["json", same(3).map(() => JSON.stringify({ note: "one\nvalue" }))],
      });
      const rows = await rowsOf<{
        id: string;
        source: string;
        subject: null;
        seq: string | number;
        doc: unknown;
        ord: string | number;
      }>(handle.db, sql`select * from ${relation} order by ord`);
      expect(rows.map((row) => ({ ...row, seq: Number(row.seq), ord: Number(row.ord) }))).toEqual(
        ["a", "b", "c"].map((id, i) => ({
          id,
          source: "/gw",
          subject: null,
          seq: 7,
          doc: { note: "one\nvalue" },
          ord: i + 1,
        })),
      );
      const allSame = await rowsOf<{ source: string }>(
        handle.db,
        sql`select source from ${columnRecords({ source: ["text", ["/gw", "/gw"]], type: ["text", ["t", "t"]] })}`,
      );
      expect(allSame).toEqual([{ source: "/gw" }, { source: "/gw" }]);
    } finally {
      await handle.close();
    }
  });

  it("refuses text PostgreSQL cannot hold the same way whether or not every row holds it", async () => {
    const handle = await database.open();
    try {
      for (const values of [
        ["a\u0000b", "a\u0000b"],
        ["a\u0000b", "c"],
        ["\ud800", "\ud800"],
      ]) {
        const refused = await rowsOf(
          handle.db,
          sql`select * from ${columnRecords({ id: ["text", ["1", "2"]], note: ["text", values] })}`,
        ).catch((error: unknown) => error);
        expect(refusedText(refused)).toBe(true);
      }
    } finally {
      await handle.close();
    }
  });
});
