import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";

const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/** The committed migrations up to (not including) the one tagged `before`. */
function migrationsBefore(before: string): string {
  const folder = mkdtempSync(join(tmpdir(), "meterflow-migrations-"));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(
    0,
    journal.entries.findIndex((entry) => entry.tag === before),
  );
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

describe("migrations 0005, 0007 and 0009 (event cursors, partition heads, pending counts)", () => {
  it("keeps processed events processed and pending events pending, with their outcomes", async () => {
    const client = new PGlite();
    const db = drizzle({ client });
    const older = migrationsBefore("0005_event-cursors");
    try {
      await migrate(db, { migrationsFolder: older });
      await client.exec(`insert into events_raw (workspace_id, source, event_id, type, partition_key, correlation_id, envelope, status, outcome) values
        ('w', '/s', 'a', 't', 'acme', 'c', '{}', 'processed', 'validated'),
        ('w', '/s', 'b', 't', 'acme', 'c', '{}', 'processed', 'exception'),
        ('w', '/s', 'c', 't', 'acme', 'c', '{}', 'pending', null),
        ('w', '/s', 'd', 't', 'globex', 'c', '{}', 'pending', null),
        ('w', '/s', 'e', 't', 'initech', 'c', '{}', 'processed', 'validated')`);
      await migrate(db, { migrationsFolder });
      const { rows } = await client.query<{ event_id: string; processed: boolean; outcome: string | null }>(`
        select event_id, (xid, seq) <= (p.cursor_xid, p.cursor_seq) as processed, outcome
        from events_raw join runtime_partitions p using (workspace_id, partition_key) order by event_id`);
      expect(rows).toEqual([
        { event_id: "a", processed: true, outcome: null },
        { event_id: "b", processed: true, outcome: "exception" },
        { event_id: "c", processed: false, outcome: null },
        { event_id: "d", processed: false, outcome: null },
        { event_id: "e", processed: true, outcome: null },
      ]);
      const heads = await client.query<{ partition_key: string; has_work: boolean; pending: number }>(
        "select partition_key, (head_xid, head_seq) > (cursor_xid, cursor_seq) as has_work, pending::int as pending from runtime_partitions order by partition_key",
      );
      expect(heads.rows).toEqual([
        { partition_key: "acme", has_work: true, pending: 1 },
        { partition_key: "globex", has_work: true, pending: 1 },
        { partition_key: "initech", has_work: false, pending: 0 },
      ]);
    } finally {
      await client.close();
      rmSync(older, { recursive: true, force: true });
    }
  });
});

describe("migration 0015 (partition counters)", () => {
  it("counts the events and usage records already stored into their partitions' totals", async () => {
    const client = new PGlite();
    const db = drizzle({ client });
    const older = migrationsBefore("0015_partition_counters");
    try {
      await migrate(db, { migrationsFolder: older });
      await client.exec(`insert into events_raw (workspace_id, source, event_id, type, partition_key, correlation_id, envelope) values
        ('w', '/s', 'a', 't', 'acme', 'c', '{}'), ('w', '/s', 'b', 't', 'acme', 'c', '{}'), ('w', '/s', 'c', 't', 'globex', 'c', '{}'), ('v', '/s', 'a', 't', 'acme', 'c', '{}');
        insert into runtime_partitions (workspace_id, partition_key) values ('w', 'acme'), ('w', 'globex'), ('v', 'acme');
        insert into usage_records (workspace_id, flow_version_id, node_id, record_key, event_seq, tenant_id, metric, quantity, rating_period, correlation_id, payload)
          select 'w', gen_random_uuid(), 'usage', event_id, seq, 'tenant-of-' || partition_key, 'calls', 1, '2026-10', 'c', '{}' from events_raw where workspace_id = 'w' and event_id in ('a', 'c');
        -- Made from no single event: counted under its tenant.
        insert into usage_records (workspace_id, flow_version_id, node_id, record_key, event_seq, tenant_id, metric, quantity, rating_period, correlation_id, payload)
          values ('w', gen_random_uuid(), 'usage', 'summary', null, 'initech', 'calls', 1, '2026-10', 'c', '{}')`);
      await migrate(db, { migrationsFolder });
      const { rows } = await client.query<{
        workspace_id: string;
        partition_key: string;
        stored: number;
        usage_records: number;
      }>(
        "select workspace_id, partition_key, stored::int as stored, usage_records::int as usage_records from runtime_partitions order by workspace_id, partition_key",
      );
      expect(rows).toEqual([
        { workspace_id: "v", partition_key: "acme", stored: 1, usage_records: 0 },
        { workspace_id: "w", partition_key: "acme", stored: 2, usage_records: 1 },
        { workspace_id: "w", partition_key: "globex", stored: 1, usage_records: 1 },
        { workspace_id: "w", partition_key: "initech", stored: 0, usage_records: 1 },
      ]);
    } finally {
      await client.close();
      rmSync(older, { recursive: true, force: true });
    }
  });
});
