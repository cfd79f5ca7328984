import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../open-database";
import { UnstorableTextError } from "../errors";
import { columnRecords, insertAssumingNew, jsonRecords, rowsOf } from "../raw-rows";
import { eventsRaw, type EventOutcome, type EventStatus } from "../schema";

/**
 * An event to store; the workspace is the request's, one for all of them. Its time is RFC 3339
 * text, which PostgreSQL reads itself (ingestion sends the envelope's own text where that reads
 * the same in JavaScript).
 */
export type NewRawEvent = Omit<
  typeof eventsRaw.$inferInsert,
  "seq" | "workspaceId" | "outcome" | "receivedAt" | "xid" | "time"
> & { time?: string | null };
export type RawEventOutcome = { status: "stored" | "duplicate" };

/**
 * Stores raw events, once each: a repeat of (workspace, source, id) is reported as a duplicate
 * rather than stored again. Outcomes come back in input order. Each statement commits on its
 * own: not for a caller's transaction, which the first insert failing on a repeat would abort
 * (ingestion spares the savepoint that would take).
 */
export async function storeRawEvents(
  db: Database,
  workspaceId: string,
  events: NewRawEvent[],
): Promise<RawEventOutcome[]> {
  if (events.length === 0) return [];
  const envelopes = events.map((event) => JSON.stringify(event.envelope));
  // A json column keeps \u0000 and a lone surrogate's escape, which no text column or jsonb value
  // can hold: processing such an event would fail every batch it is in. JSON.stringify writes
  // such an escape for them only, so an escape not itself escaped finds them exactly. Texts
  // without "\u" cannot hold one, and that test costs a tenth of the pattern's.
  if (envelopes.some((text) => text.includes("\\u") && unstorableEscape.test(text)))
    throw new UnstorableTextError("An envelope");
  // Ordered as received, so a repeat inside one request keeps its first occurrence. Each
  // partition's head moves to this transaction's last event in the same statement, so workers
  // find the work; its row stays locked only from here to the commit, and in key order, so
  // requests never deadlock.
  // Built once: the insert runs again skipping repeats when one fails it.
  const received = columnRecords({
    source: ["text", events.map((event) => event.source)],
    event_id: ["text", events.map((event) => event.eventId)],
    type: ["text", events.map((event) => event.type)],
    subject: ["text", events.map((event) => event.subject ?? null)],
    time: ["timestamptz", events.map((event) => event.time ?? null)],
    partition_key: ["text", events.map((event) => event.partitionKey)],
    correlation_id: ["text", events.map((event) => event.correlationId)],
    envelope: ["json", envelopes],
  });
  const store = <Row>(into: Database, skipRepeats: boolean, answer: SQL) =>
    rowsOf<Row>(
      into,
      sql`with stored as (
            insert into events_raw (workspace_id, source, event_id, type, subject, time, partition_key, correlation_id, envelope)
            select ${workspaceId}, source, event_id, type, subject, time, partition_key, correlation_id, envelope
            from ${received}
            order by ord
            ${skipRepeats ? sql`on conflict (workspace_id, source, event_id) do nothing` : sql``}
            returning seq, source, event_id, partition_key
          ), heads as (
            insert into runtime_partitions as p (workspace_id, partition_key, head_xid, head_seq, pending, stored)
            select ${workspaceId}, partition_key, pg_current_xact_id(), max(seq), count(*), count(*) from stored
            group by partition_key order by partition_key
            on conflict (workspace_id, partition_key) do update set pending = p.pending + excluded.pending, stored = p.stored + excluded.stored,
              -- A transaction that began earlier may commit later: the head only moves forward.
              head_xid = case when (excluded.head_xid, excluded.head_seq) > (p.head_xid, p.head_seq) then excluded.head_xid else p.head_xid end,
              head_seq = case when (excluded.head_xid, excluded.head_seq) > (p.head_xid, p.head_seq) then excluded.head_seq else p.head_seq end
          )
          ${answer}`,
    );
  return insertAssumingNew(db, "events_raw_source_id_unique", async (into, skipRepeats): Promise<RawEventOutcome[]> => {
    // Without repeats every event was stored, and no row needs to come back.
    if (!skipRepeats) {
      await store(into, false, sql`select 1`);
      return events.map(() => ({ status: "stored" }));
    }
    const inserted = await store<{ source: string; event_id: string }>(
      into,
      true,
      sql`select source, event_id from stored`,
    );
    const stored = new Set(inserted.map((row) => `${row.source}\u0000${row.event_id}`));
    return events.map((event) => {
      const key = `${event.source}\u0000${event.eventId}`;
      if (!stored.has(key)) return { status: "duplicate" };
      stored.delete(key); // a repeat inside the same batch is a duplicate too
      return { status: "stored" };
    });
  });
}

const unstorableEscape = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/i;

/** Whether a raw event's partition cursor has passed it (in a query over events_raw). */
export const eventProcessed = sql<boolean>`exists (select 1 from runtime_partitions p
  where p.workspace_id = ${eventsRaw.workspaceId} and p.partition_key = ${eventsRaw.partitionKey}
    and (${eventsRaw.xid}, ${eventsRaw.seq}) <= (p.cursor_xid, p.cursor_seq))`;
export const eventStatus = sql<EventStatus>`(case when ${eventProcessed} then 'processed' else 'pending' end)`;
/** The outcome of a processed event: the one recorded, else validated; null while pending. */
export const eventOutcome = sql<EventOutcome | null>`(case when ${eventProcessed} then coalesce(${eventsRaw.outcome}, 'validated') end)`;

/** Events not processed yet: each partition's events after its cursor, read from the index. */
export async function countPendingEvents(db: Database, workspaceId: string): Promise<number> {
  const [row] = await rowsOf<{ pending: number }>(
    db,
    sql`select count(*)::int as pending from runtime_partitions p
        join events_raw e on e.workspace_id = p.workspace_id and e.partition_key = p.partition_key and (e.xid, e.seq) > (p.cursor_xid, p.cursor_seq)
        where p.workspace_id = ${workspaceId}`,
  );
  return row?.pending ?? 0;
}

export interface OpenTransaction {
  seconds: number;
  /** The session's application name and state (e.g. "psql", "idle in transaction"), when visible. */
  application: string | null;
  state: string | null;
}

/**
 * The oldest transaction anywhere on the server, other than this session, open for at least
 * `minSeconds`: workers read only events stored after every running transaction began, so such
 * a transaction holds back processing (nothing is lost; it resumes once the transaction ends).
 */
export async function oldestOpenTransaction(db: Database, minSeconds: number): Promise<OpenTransaction | null> {
  const [row] = await rowsOf<{ seconds: number | string; application: string | null; state: string | null }>(
    db,
    sql`select extract(epoch from now() - xact_start)::float8 as seconds, nullif(application_name, '') as application, state from pg_stat_activity
        where pid <> pg_backend_pid() and (backend_xid is not null or backend_xmin is not null) and xact_start <= now() - make_interval(secs => ${minSeconds})
        order by xact_start limit 1`,
  );
  return row ? { seconds: Math.floor(Number(row.seconds)), application: row.application, state: row.state } : null;
}

/**
 * A workspace's totals from its partitions' counters, not by counting rows: events stored and
 * usage records made ever, and events pending (stored after their partition's cursor, which
 * `countPendingEvents` counts from the events themselves).
 */
export async function partitionTotals(
  db: Database,
  workspaceId: string,
): Promise<{ rawEvents: number; pendingEvents: number; usageRecords: number }> {
  const [row] = await rowsOf<{
    raw_events: string | number;
    pending_events: string | number;
    usage_records: string | number;
  }>(
    db,
    sql`select coalesce(sum(stored), 0) as raw_events, coalesce(sum(pending), 0) as pending_events, coalesce(sum(usage_records), 0) as usage_records
        from runtime_partitions where workspace_id = ${workspaceId}`,
  );
  return {
    rawEvents: Number(row?.raw_events ?? 0),
    pendingEvents: Number(row?.pending_events ?? 0),
    usageRecords: Number(row?.usage_records ?? 0),
  };
}

/**
 * Adds usage records made to their partitions' counters (creating a partition's row if none is
 * there yet), in key order like every writer of these rows, so none deadlocks with another.
 */
export async function addUsageRecordCounts(
  db: Database,
  workspaceId: string,
  byPartition: ReadonlyMap<string, number>,
): Promise<void> {
  const counts = [...byPartition].filter(([, n]) => n > 0).map(([p, n]) => ({ p, n }));
  if (counts.length === 0) return;
  await db.execute(sql`insert into runtime_partitions as p (workspace_id, partition_key, usage_records)
    select ${workspaceId}, r.p, r.n from ${jsonRecords(counts, "p text, n bigint")} order by r.p
    on conflict (workspace_id, partition_key) do update set usage_records = p.usage_records + excluded.usage_records`);
}
