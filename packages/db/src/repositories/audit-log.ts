import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../open-database";
import { auditLog } from "../schema";

export type AuditEntry = typeof auditLog.$inferSelect;

/** Who does something the audit log records, and through which request. */
export interface AuditActor {
  /** A user id, `apikey:<id>`, or `system` (start-up, the scheduler) / `runtime` (processing). */
  id: string;
  /** The name shown for the act: the user's name, the API key's name, `system`. */
  name: string;
  requestId?: string;
  clientAddress?: string;
}

export const SYSTEM_ACTOR: AuditActor = { id: "system", name: "system" };

export interface NewAuditEntry {
  workspaceId: string;
  actor: AuditActor;
  action: string;
  entityType: string;
  entityId: string;
  details?: Record<string, unknown>;
}

export async function appendAudit(db: Database, { actor, ...entry }: NewAuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    ...entry,
    actor: actor.id,
    actorName: actor.name,
    requestId: actor.requestId ?? null,
    clientAddress: actor.clientAddress ?? null,
  });
}

/** A workspace's audit entries, newest first, with the name of the user who acted (none for the runtime or the system). */
export async function listAudit(
  db: Database,
  filter: { workspaceId: string; entityType?: string; entityId?: string; limit?: number },
): Promise<AuditEntry[]> {
  const conditions = [eq(auditLog.workspaceId, filter.workspaceId)];
  if (filter.entityType) conditions.push(eq(auditLog.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditLog.entityId, filter.entityId));
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(filter.limit ?? 200);
}
