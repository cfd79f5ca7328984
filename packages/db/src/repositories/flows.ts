import { and, desc, eq, sql } from "drizzle-orm";
import { contentHash, type FlowDocument } from "@meterflow/flow-spec";
import { ConflictError, NotFoundError } from "../errors";
import type { Database } from "../open-database";
import { deployments, flows, flowVersions } from "../schema";
import { appendAudit, type AuditActor } from "./audit-log";

export type Flow = typeof flows.$inferSelect;

export interface FlowSummary {
  id: string;
  name: string;
  description: string;
  revision: number;
  templateId: string | null;
  nodeCount: number;
  latestVersion: number | null;
  /** The version the runtime runs, if the flow is deployed. */
  runningVersion: number | null;
  updatedAt: Date;
  updatedBy: string;
}

export async function listFlows(db: Database, workspaceId: string): Promise<FlowSummary[]> {
  const latest = db
    .select({ flowId: flowVersions.flowId, number: sql<number>`max(${flowVersions.number})`.as("latest_number") })
    .from(flowVersions)
    .groupBy(flowVersions.flowId)
    .as("latest");
  const running = db
    .select({ flowId: deployments.flowId, number: sql<number>`${flowVersions.number}`.as("running_number") })
    .from(deployments)
    .innerJoin(flowVersions, eq(flowVersions.id, deployments.flowVersionId))
    .where(eq(deployments.status, "active"))
    .as("running");
  const rows = await db
    .select({
      id: flows.id,
      name: flows.name,
      description: flows.description,
      revision: flows.revision,
      templateId: flows.templateId,
      nodeCount: sql<number>`jsonb_array_length(${flows.draft} -> 'nodes')`,
      latestVersion: latest.number,
      runningVersion: running.number,
      updatedAt: flows.updatedAt,
      updatedBy: flows.updatedBy,
    })
    .from(flows)
    .leftJoin(latest, eq(latest.flowId, flows.id))
    .leftJoin(running, eq(running.flowId, flows.id))
    .where(eq(flows.workspaceId, workspaceId))
    .orderBy(desc(flows.updatedAt), flows.name);
  const numberOrNull = (value: number | null) => (value === null ? null : Number(value));
  return rows.map((row) => ({
    ...row,
    nodeCount: Number(row.nodeCount),
    latestVersion: numberOrNull(row.latestVersion),
    runningVersion: numberOrNull(row.runningVersion),
  }));
}

export async function getFlow(db: Database, workspaceId: string, flowId: string): Promise<Flow> {
  const [flow] = await db
    .select()
    .from(flows)
    .where(and(eq(flows.workspaceId, workspaceId), eq(flows.id, flowId)));
  if (!flow) throw new NotFoundError("Flow", flowId);
  return flow;
}

export async function createFlow(
  db: Database,
  input: { workspaceId: string; document: FlowDocument; actor: AuditActor; templateId?: string },
): Promise<Flow> {
  return db.transaction(async (tx) => {
    const [flow] = await tx
      .insert(flows)
      .values({
        workspaceId: input.workspaceId,
        name: input.document.metadata.name,
        description: input.document.metadata.description,
        draft: input.document,
        draftHash: contentHash(input.document),
        templateId: input.templateId ?? null,
        createdBy: input.actor.id,
        updatedBy: input.actor.id,
      })
      .returning();
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "flow.created",
      entityType: "flow",
      entityId: flow!.id,
      details: { name: flow!.name, templateId: input.templateId ?? null, draftHash: flow!.draftHash },
    });
    return flow!;
  });
}

/**
 * Saves a new draft if the caller saw the latest revision; otherwise refuses with a CONFLICT
 * naming who saved the newer revision, so an edit is never silently overwritten.
 */
export async function saveDraft(
  db: Database,
  input: { workspaceId: string; flowId: string; document: FlowDocument; expectedRevision: number; actor: AuditActor },
): Promise<Flow> {
  return db.transaction(async (tx) => {
    const [saved] = await tx
      .update(flows)
      .set({
        draft: input.document,
        draftHash: contentHash(input.document),
        name: input.document.metadata.name,
        description: input.document.metadata.description,
        revision: sql`${flows.revision} + 1`,
        updatedBy: input.actor.id,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(flows.workspaceId, input.workspaceId),
          eq(flows.id, input.flowId),
          eq(flows.revision, input.expectedRevision),
        ),
      )
      .returning();
    if (!saved) {
      const current = await getFlow(tx, input.workspaceId, input.flowId);
      throw new ConflictError(
        `The draft was changed by ${current.updatedBy} (revision ${current.revision}) after you loaded revision ${input.expectedRevision}; reload it or save as a copy`,
        { currentRevision: current.revision, updatedBy: current.updatedBy, updatedAt: current.updatedAt.toISOString() },
      );
    }
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "flow.draft_saved",
      entityType: "flow",
      entityId: saved.id,
      details: { revision: saved.revision, draftHash: saved.draftHash },
    });
    return saved;
  });
}
