import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { FlowDocument } from "@meterflow/flow-spec";
import { workspaces } from "./workspaces";

/** A flow and its editable draft. `revision` grows on every save, for optimistic concurrency. */
export const flows = pgTable(
  "flows",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: text("workspace_id")
      .notNull()
      .references(() => workspaces.id),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    draft: jsonb("draft").$type<FlowDocument>().notNull(),
    draftHash: text("draft_hash").notNull(),
    revision: integer("revision").notNull().default(1),
    templateId: text("template_id"),
    createdBy: text("created_by").notNull(),
    updatedBy: text("updated_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("flows_workspace_idx").on(table.workspaceId, table.updatedAt)],
);

export const flowVersionStates = ["published"] as const;
export type FlowVersionState = (typeof flowVersionStates)[number];

/** An immutable, numbered, content-hashed snapshot of a flow (enforced by a trigger, see migrations). */
export const flowVersions = pgTable(
  "flow_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id),
    number: integer("number").notNull(),
    document: jsonb("document").$type<FlowDocument>().notNull(),
    contentHash: text("content_hash").notNull(),
    state: text("state").$type<FlowVersionState>().notNull(),
    author: text("author").notNull(),
    changelog: text("changelog").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp("published_at", { withTimezone: true }),
  },
  (table) => [uniqueIndex("flow_versions_flow_number_unique").on(table.flowId, table.number)],
);
