import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openDatabase, type DatabaseHandle } from "../open-database";

export interface DatabaseCase {
  name: "pglite" | "postgres";
  /** A fresh, migrated, empty database; `close()` drops it. */
  open(): Promise<DatabaseHandle>;
}

/**
 * The databases integration tests run on: PGlite always, and PostgreSQL too when DATABASE_URL
 * is set (each `open()` creates a throwaway database next to the one the URL names).
 */
export function databaseCases(env: NodeJS.ProcessEnv = process.env): DatabaseCase[] {
  const cases: DatabaseCase[] = [{ name: "pglite", open: () => openDatabase({ dataDir: null }) }];
  const serverUrl = env.DATABASE_URL;
  if (serverUrl) cases.push({ name: "postgres", open: () => openThrowawayPostgres(serverUrl) });
  return cases;
}

/** An empty database next to the one `serverUrl` names, for tests that need its URL (e.g. for child processes). */
export async function createThrowawayDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `meterflow_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

async function openThrowawayPostgres(serverUrl: string): Promise<DatabaseHandle> {
  const database = await createThrowawayDatabase(serverUrl);
  const handle = await openDatabase({ databaseUrl: database.url });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await database.drop();
    },
  };
}
