import { pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const roles = ["engineer", "reviewer", "publisher", "operator", "finance", "admin"] as const;
export type Role = (typeof roles)[number];

export const workspaces = pgTable("workspaces", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id")
      .notNull()
      .references(() => workspaces.id),
    name: text("name").notNull(),
    email: text("email").notNull(),
    roles: text("roles").array().$type<Role[]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("users_workspace_email_unique").on(table.workspaceId, table.email)],
);
