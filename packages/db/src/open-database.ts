import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { lockDataDir } from "./data-dir-lock";
import { DatabaseStartupError } from "./errors";
import * as schema from "./schema";

export type Schema = typeof schema;
/** Either driver's database; repositories are written once against this. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  driver: "pglite" | "postgres";
  /** Where the data lives, for logs (never includes a password). */
  location: string;
  close(): Promise<void>;
}

export type OpenDatabaseOptions =
  | { databaseUrl: string; dataDir?: undefined }
  /** `dataDir: null` keeps PGlite in memory (tests). */
  | { databaseUrl?: undefined; dataDir: string | null };

const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));
/** Serialises migrations when several runtime processes start against one server. */
const MIGRATION_LOCK_ID = 7_243_001;

/** Opens PGlite (no URL) or PostgreSQL (URL) and applies the committed migrations. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir ?? null);
}

async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  let client: PGlite;
  if (dataDir) {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw new DatabaseStartupError(
        `Cannot create the data folder ${dataDir} (${oneLine(error)}); set METERFLOW_DATA_DIR to a folder this user can write`,
      );
    }
  }
  const lock = dataDir ? lockDataDir(dataDir) : undefined;
  try {
    client = dataDir ? new PGlite(dataDir) : new PGlite();
    await client.waitReady;
    await client.query("select 1");
  } catch (error) {
    lock?.release();
    throw new DatabaseStartupError(
      `The data folder ${dataDir} is not a readable Meterflow database (${oneLine(error)}); move it away or set METERFLOW_DATA_DIR to another folder`,
    );
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  try {
    await migratePglite(db as never, { migrationsFolder });
  } catch (error) {
    await client.close().catch(() => {});
    lock?.release();
    throw new DatabaseStartupError(
      `Could not apply migrations to ${dataDir ?? "the in-memory database"}: ${oneLine(error)}`,
    );
  }
  const close = async () => {
    await client.close();
    lock?.release();
  };
  return { db, driver: "pglite", location: dataDir ? `PGlite in ${dataDir}` : "PGlite in memory", close };
}

async function openPostgres(databaseUrl: string): Promise<DatabaseHandle> {
  const location = describeUrl(databaseUrl);
  let client: postgres.Sql;
  try {
    client = postgres(databaseUrl, { max: 10, connect_timeout: 5, onnotice: () => {} });
    await client`select 1`;
  } catch (error) {
    throw new DatabaseStartupError(
      `Cannot connect to PostgreSQL at ${location} (${oneLine(error)}); check DATABASE_URL`,
    );
  }
  const db = drizzlePostgres({ client, schema }) as unknown as Database;
  const lock = await client.reserve();
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migratePostgres(db as never, { migrationsFolder });
  } catch (error) {
    await client.end({ timeout: 1 });
    throw new DatabaseStartupError(`Could not apply migrations to ${location}: ${oneLine(error)}`);
  } finally {
    await lock`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.catch(() => {});
    lock.release();
  }
  return { db, driver: "postgres", location: `PostgreSQL at ${location}`, close: () => client.end({ timeout: 5 }) };
}

export function describeUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return "an unparseable DATABASE_URL";
  }
}

function oneLine(error: unknown): string {
  const message =
    error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${message}${cause}`.split("\n")[0]!.slice(0, 300);
}

export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
