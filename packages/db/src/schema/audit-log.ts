import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Append-only: a trigger refuses UPDATE and DELETE (see migrations). */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: text("workspace_id").notNull(),
    /** Who acted: a user id, `apikey:<id>` or `system`/`runtime`. */
    actor: text("actor").notNull(),
    /** The actor's name when they acted (a user's name, an API key's name), kept as it was then. */
    actorName: text("actor_name").notNull().default(""),
    /** The HTTP request that acted, and where it came from; none for the scheduler and the runtime. */
    requestId: text("request_id"),
    clientAddress: text("client_address"),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("audit_log_entity_idx").on(table.entityType, table.entityId, table.id)],
);
