import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const eventStatuses = ["pending", "processed"] as const;
export type EventStatus = (typeof eventStatuses)[number];

/** Raw CloudEvents exactly as received: immutable, deduplicated on (source, id) per workspace. */
export const eventsRaw = pgTable(
  "events_raw",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: text("workspace_id").notNull(),
    source: text("source").notNull(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    subject: text("subject"),
    time: timestamp("time", { withTimezone: true }),
    partitionKey: text("partition_key").notNull(),
    correlationId: text("correlation_id").notNull(),
    envelope: jsonb("envelope").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<EventStatus>().notNull().default("pending"),
    /** How processing ended: validated, duplicate or exception (worst across deployments). */
    outcome: text("outcome").$type<"validated" | "duplicate" | "exception">(),
    processedAt: timestamp("processed_at", { withTimezone: true }),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("events_raw_source_id_unique").on(table.workspaceId, table.source, table.eventId),
    // Partial: only pending events are indexed, so marking one processed adds no entry here.
    index("events_raw_pending_partition_idx").on(table.workspaceId, table.partitionKey, table.seq).where(sql`status = 'pending'`),
    index("events_raw_pending_seq_idx").on(table.seq).where(sql`status = 'pending'`),
  ],
);
