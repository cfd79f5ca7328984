import postgres from "postgres";
import { describe, expect, it } from "vitest";
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
  if (server) it("on PostgreSQL: the oldest one elsewhere is named, and none once it ends", async () => {
    const handle = await server.open();
    // Any database on the server holds processing back: the horizon is the server's.
    const other = postgres(process.env.DATABASE_URL!, { max: 1, connection: { application_name: "forgotten-session" }, onnotice: () => {} });
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
