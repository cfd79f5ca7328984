import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../open-database";
import { auditLog } from "../schema";

export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = Omit<typeof auditLog.$inferInsert, "id" | "at">;

export async function appendAudit(db: Database, entry: NewAuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}

export async function listAudit(db: Database, filter: { workspaceId: string; entityType?: string; entityId?: string; limit?: number }): Promise<AuditEntry[]> {
  const conditions = [eq(auditLog.workspaceId, filter.workspaceId)];
  if (filter.entityType) conditions.push(eq(auditLog.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditLog.entityId, filter.entityId));
  return db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id)).limit(filter.limit ?? 200);
}
