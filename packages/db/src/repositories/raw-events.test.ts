import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../raw-rows";
import { databaseCases } from "../testing/database-cases";
import { oldestOpenTransaction } from "./raw-events";

const [pglite, server] = databaseCases();

describe("open transactions that hold processing back", () => {
  it("are none on PGlite, which has one session", async () => {
    const handle = await pglite!.open();
    expect(await oldestOpenTransaction(handle.db, 0)).toBeNull();
    await handle.close();
  });

  // PostgreSQL only when DATABASE_URL names one (as CI sets it).
  if (server)
    it("on PostgreSQL: the oldest one elsewhere is named, and none once it ends", async () => {
      const handle = await server.open();
      // Any database on the server holds processing back: the horizon is the server's.
      const other = postgres(process.env.DATABASE_URL!, {
        max: 1,
        connection: { application_name: "forgotten-session" },
        onnotice: () => {},
      });
      try {
        const reserved = await other.reserve();
        await reserved`begin`;
        await reserved`select pg_current_xact_id()`;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // Other tests' transactions are short: past a second, ours is the oldest.
        const held = await oldestOpenTransaction(handle.db, 1);
        expect(held).toMatchObject({ application: "forgotten-session", state: "idle in transaction" });
        expect(held!.seconds).toBeGreaterThanOrEqual(1);
        expect(await oldestOpenTransaction(handle.db, 3600)).toBeNull();
        await reserved`rollback`;
        reserved.release();
        expect((await oldestOpenTransaction(handle.db, 0))?.application).not.toBe("forgotten-session");
      } finally {
        await other.end();
        await handle.close();
      }
    });
});

describe.each(databaseCases())("events_raw on $name", ({ open }) => {
  it("finds an event by its id alone by descending the dedupe index, not by reading the workspace's part of it", async () => {
    const handle = await open();
    try {
      await handle.db.execute(sql`insert into workspaces (id, name) values ('w', 'W')`);
      await handle.db.execute(
        sql`insert into events_raw (workspace_id, source, event_id, type, partition_key, correlation_id, envelope)
            select 'w', '/gw/' || (i % 3), 'evt-' || i, 't', 'p', 'c', '{}' from generate_series(1, 5000) as i`,
      );
      // The pages the search reads (work, not time): a descent is a few; the workspace's 5,000 keys are dozens.
      const [row] = await rowsOf<{ "QUERY PLAN": { Plan: Record<string, number> }[] }>(
        handle.db,
        sql`explain (analyze, buffers, format json) select seq from events_raw where workspace_id = 'w' and event_id = 'evt-4321' order by seq desc limit 50`,
      );
      const plan = row!["QUERY PLAN"][0]!.Plan;
      expect(plan["Actual Rows"]).toBe(1);
      expect(plan["Shared Hit Blocks"]! + plan["Shared Read Blocks"]!).toBeLessThanOrEqual(6);
    } finally {
      await handle.close();
    }
  });
});
