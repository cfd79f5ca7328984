import { and, desc, eq, inArray, ne } from "drizzle-orm";
import { appendAudit, dedupeKeys, deployments, flowVersions, getVersion, NotFoundError, runtimeWatermarks, runtimeWindows, type Database } from "@meterflow/db";
import { compileFlow, type FlowPlan } from "@meterflow/engine";

export type Deployment = typeof deployments.$inferSelect;

/** Compiled plans by flow version: versions are immutable, so a plan never goes stale. */
const plans = new Map<string, FlowPlan>();

export async function planFor(db: Database, flowVersionId: string): Promise<FlowPlan> {
  let plan = plans.get(flowVersionId);
  if (!plan) {
    const [version] = await db.select({ document: flowVersions.document }).from(flowVersions).where(eq(flowVersions.id, flowVersionId));
    if (!version) throw new NotFoundError("Flow version", flowVersionId);
    plan = compileFlow(version.document);
    plans.set(flowVersionId, plan);
  }
  return plan;
}

/**
 * Deploys a published version: it replaces the flow's active deployment (whose open windows still
 * close on schedule) and processes the events that arrive, and those still pending, from now on.
 * A version deployed before takes back its earlier deployments' open windows, watermarks and
 * dedupe keys: the same plan goes on with the same state, and a window never has two halves whose
 * second summary the first would shut out.
 */
export async function deployVersion(db: Database, input: { workspaceId: string; versionId: string; actor: string }): Promise<Deployment> {
  const version = await getVersion(db, input.workspaceId, input.versionId);
  await planFor(db, version.id);
  return db.transaction(async (tx) => {
    const [previous] = await tx
      .update(deployments)
      .set({ status: "stopped", stoppedAt: new Date() })
      .where(and(eq(deployments.flowId, version.flowId), eq(deployments.status, "active")))
      .returning();
    const [deployment] = await tx.insert(deployments).values({ workspaceId: input.workspaceId, flowId: version.flowId, flowVersionId: version.id, deployedBy: input.actor }).returning();
    const earlier = tx
      .select({ id: deployments.id })
      .from(deployments)
      .where(and(eq(deployments.flowVersionId, version.id), ne(deployments.id, deployment!.id)));
    for (const table of [runtimeWindows, runtimeWatermarks, dedupeKeys]) {
      await tx.update(table).set({ deploymentId: deployment!.id }).where(inArray(table.deploymentId, earlier));
    }
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "deployment.deployed",
      entityType: "deployment",
      entityId: deployment!.id,
      details: { flowId: version.flowId, versionId: version.id, versionNumber: version.number, contentHash: version.contentHash, replaced: previous?.id ?? null },
    });
    return deployment!;
  });
}

export async function stopDeployment(db: Database, input: { workspaceId: string; deploymentId: string; actor: string }): Promise<Deployment> {
  const [stopped] = await db
    .update(deployments)
    .set({ status: "stopped", stoppedAt: new Date() })
    .where(and(eq(deployments.id, input.deploymentId), eq(deployments.workspaceId, input.workspaceId), eq(deployments.status, "active")))
    .returning();
  if (!stopped) throw new NotFoundError("Active deployment", input.deploymentId);
  await appendAudit(db, { workspaceId: input.workspaceId, actor: input.actor, action: "deployment.stopped", entityType: "deployment", entityId: stopped.id, details: {} });
  return stopped;
}

export async function listDeployments(db: Database, workspaceId: string) {
  return db
    .select({ deployment: deployments, versionNumber: flowVersions.number, contentHash: flowVersions.contentHash })
    .from(deployments)
    .innerJoin(flowVersions, eq(flowVersions.id, deployments.flowVersionId))
    .where(eq(deployments.workspaceId, workspaceId))
    .orderBy(desc(deployments.deployedAt));
}

export async function activeDeployments(db: Database, workspaceId: string): Promise<Deployment[]> {
  return db.select().from(deployments).where(and(eq(deployments.workspaceId, workspaceId), eq(deployments.status, "active"))).orderBy(deployments.deployedAt);
}
