import { and, desc, eq, getTableColumns } from "drizzle-orm";
import type { Database } from "../open-database";
import { auditLog, users } from "../schema";

export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = Omit<typeof auditLog.$inferInsert, "id" | "at">;

export async function appendAudit(db: Database, entry: NewAuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}

/** A workspace's audit entries, newest first, with the name of the user who acted (none for the runtime or the system). */
export async function listAudit(
  db: Database,
  filter: { workspaceId: string; entityType?: string; entityId?: string; limit?: number },
): Promise<(AuditEntry & { actorName: string | null })[]> {
  const conditions = [eq(auditLog.workspaceId, filter.workspaceId)];
  if (filter.entityType) conditions.push(eq(auditLog.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditLog.entityId, filter.entityId));
  return db
    .select({ ...getTableColumns(auditLog), actorName: users.name })
    .from(auditLog)
    .leftJoin(users, and(eq(users.id, auditLog.actor), eq(users.workspaceId, auditLog.workspaceId)))
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(filter.limit ?? 200);
}
