import { sql } from "drizzle-orm";
import {
  bigint,
  customType,
  index,
  json,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const eventStatuses = ["pending", "processed"] as const;
export type EventStatus = (typeof eventStatuses)[number];
export type EventOutcome = "validated" | "duplicate" | "exception";

/**
 * Text compared byte by byte (collation "C") in the keys of the tables written per event: their
 * indexes never need a locale's order, and "C" comparisons made storing an event and a usage
 * record about a tenth cheaper in PostgreSQL than the database's default collation.
 */
export const keyText = customType<{ data: string; driverData: string }>({ dataType: () => 'text collate "C"' });

/** A 64-bit transaction id (never wraps), as text: drivers have no JavaScript type for it. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

/**
 * Raw CloudEvents exactly as received: immutable, deduplicated on (source, id) per workspace.
 * Processing never writes to them: a partition's cursor (runtime_partitions) says how far it has
 * got, in (xid, seq) order; only an outcome other than validated is written back.
 */
export const eventsRaw = pgTable(
  "events_raw",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: keyText("workspace_id").notNull(),
    source: keyText("source").notNull(),
    eventId: keyText("event_id").notNull(),
    type: text("type").notNull(),
    subject: text("subject"),
    time: timestamp("time", { withTimezone: true }),
    partitionKey: keyText("partition_key").notNull(),
    correlationId: text("correlation_id").notNull(),
    // json, not jsonb: kept as the text it was stored as, and a quarter cheaper to store (14.8
    // against 19.5 ms per 1,000 events measured); nothing queries inside it.
    envelope: json("envelope").$type<Record<string, unknown>>().notNull(),
    /**
     * How processing ended when not validated: duplicate or exception (worst across deployments).
     * Null once processed means validated, so the common case writes nothing back.
     */
    outcome: text("outcome").$type<EventOutcome>(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * The storing transaction. A worker reads only events of transactions older than every one
     * still running, so one that commits late can never land behind a partition's cursor.
     */
    xid: xid8("xid").notNull().default(sql`pg_current_xact_id()`),
  },
  (table) => [
    // The id before the source: the same uniqueness, and finding an event by its id alone (the
    // Operations page's search: "did my event arrive?") reads the index instead of the table
    // (30-39 ms at 300,000 events, growing with the table).
    uniqueIndex("events_raw_source_id_unique").on(table.workspaceId, table.eventId, table.source),
    index("events_raw_partition_order_idx").on(table.workspaceId, table.partitionKey, table.xid, table.seq),
    // Replay and reconciliation read a range of event time: events arrive roughly in time order,
    // so a BRIN summary finds the range's blocks, where they read the whole table before, and
    // costs next to nothing per insert.
    index("events_raw_time_brin").using("brin", table.time).with({ autosummarize: true }),
  ],
);

/** How far processing has got in each partition (tenant) of a workspace. */
export const runtimePartitions = pgTable(
  "runtime_partitions",
  {
    workspaceId: keyText("workspace_id").notNull(),
    partitionKey: keyText("partition_key").notNull(),
    /** The last processed event, in (xid, seq) order: the ones after it are pending. */
    cursorXid: xid8("cursor_xid").notNull().default(sql`'0'::xid8`),
    cursorSeq: bigint("cursor_seq", { mode: "number" }).notNull().default(0),
    /**
     * The last stored event, in the same order: ingestion moves it in the statement that stores
     * events, so finding partitions with work reads this table only.
     */
    headXid: xid8("head_xid").notNull().default(sql`'0'::xid8`),
    headSeq: bigint("head_seq", { mode: "number" }).notNull().default(0),
    /**
     * How many events are stored after the cursor: ingestion adds what it stores, workers take
     * off what they process. Only sizes a claim (how many partitions fill a micro-batch); which
     * events are pending is always read from the cursor.
     */
    pending: bigint("pending", { mode: "number" }).notNull().default(0),
    /**
     * Events stored in the partition, and usage records made from its events, ever: counted in
     * the statements that write them (ingestion's head, a batch's cursor), so the Operations
     * page's totals read this table rather than counting millions of rows every few seconds.
     */
    stored: bigint("stored", { mode: "number" }).notNull().default(0),
    usageRecords: bigint("usage_records", { mode: "number" }).notNull().default(0),
    /** Workers take the partition processed longest ago first, so a busy tenant starves none. */
    processedAt: timestamp("processed_at", { withTimezone: true }),
  },
  (table) => [
    primaryKey({ columns: [table.workspaceId, table.partitionKey] }),
    // The partitions with pending events, in the order workers claim them: without it every
    // claim (and every idle poll) read the whole table, 6.5 ms at 100,000 tenants.
    index("runtime_partitions_pending_idx")
      .on(table.processedAt.asc().nullsFirst())
      .where(sql`(head_xid, head_seq) > (cursor_xid, cursor_seq)`),
  ],
);
