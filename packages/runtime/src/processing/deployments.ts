import { and, desc, eq, lte, ne, sql } from "drizzle-orm";
import {
  appendAudit,
  deployments,
  flows,
  flowVersions,
  getVersion,
  NotFoundError,
  rowsOf,
  runtimeWatermarks,
  runtimeWindows,
  uuidArray,
  type Database,
  type AuditActor,
} from "@meterflow/db";
import { compileFlow, durationMs, type FlowPlan } from "@meterflow/engine";
import { canonicalJson, type FlowNode } from "@meterflow/flow-spec";

export type Deployment = typeof deployments.$inferSelect;

/** Compiled plans by flow version: versions are immutable, so a plan never goes stale. */
const plans = new Map<string, FlowPlan>();

export async function planFor(db: Database, flowVersionId: string): Promise<FlowPlan> {
  let plan = plans.get(flowVersionId);
  if (!plan) {
    const [version] = await db
      .select({ document: flowVersions.document })
      .from(flowVersions)
      .where(eq(flowVersions.id, flowVersionId));
    if (!version) throw new NotFoundError("Flow version", flowVersionId);
    plan = compileFlow(version.document);
    plans.set(flowVersionId, plan);
  }
  return plan;
}

/**
 * What a node keeps across batches is tied to its id and to what gives that state its meaning: an
 * Aggregate's windows to how they are keyed, timed and measured (not its grace period or late-event
 * policy), a Dedupe node's remembered keys to its key expression. Versions whose node has the same
 * identity share that state: a deployment carries it on, and one period is summarised once.
 */
export function stateIdentity(node: FlowNode): string | undefined {
  if (node.type === "aggregate") {
    const { groupBy, eventTime, period, measures } = node.config;
    return canonicalJson({ type: node.type, groupBy, eventTime, period, measures });
  }
  if (node.type === "dedupe") return canonicalJson({ type: node.type, key: node.config.key });
  return undefined;
}

/** What a new deployment took over from its flow's earlier deployments, and what it left to them. */
export interface StateHandover {
  windows: number;
  watermarks: number;
  /** Dedupe nodes that go on consulting the keys earlier versions remembered (they stay where they are). */
  dedupeNodes: string[];
  /** Open windows that stay with an earlier version (its Aggregate node changed or is gone): they close, and are billed, under it. */
  leftBehind: { versionNumber: number; nodeId: string; windows: number; reason: string }[];
}

/**
 * Deploys a published version: it replaces the flow's active deployment and processes the events
 * that arrive, and those still pending, from now on. It takes over the open windows and watermarks
 * of the flow's earlier deployments for every Aggregate node whose state identity it keeps, and
 * its Dedupe nodes consult the keys earlier deployments of the same identity remembered
 * (`dedupeScopes`; keys are many, so they are not moved), so a new version goes on with the month
 * a customer is in (one summary, one invoice, included units counted once) and catches a repeat
 * or a late event as the earlier one would have. Windows of an Aggregate it changed stay with
 * their version and close on schedule.
 */
export async function deployVersion(
  db: Database,
  input: { workspaceId: string; versionId: string; actor: AuditActor },
): Promise<Deployment & { handover: StateHandover; alsoProcessedBy: OverlappingFlow[] }> {
  const version = await getVersion(db, input.workspaceId, input.versionId);
  const plan = await planFor(db, version.id);
  return db.transaction(async (tx) => {
    const [previous] = await tx
      .update(deployments)
      .set({ status: "stopped", stoppedAt: new Date() })
      .where(and(eq(deployments.flowId, version.flowId), eq(deployments.status, "active")))
      .returning();
    const [deployment] = await tx
      .insert(deployments)
      .values({
        workspaceId: input.workspaceId,
        flowId: version.flowId,
        flowVersionId: version.id,
        deployedBy: input.actor.id,
      })
      .returning();
    // Locked, so the window scheduler and retries (which hold their deployment's row for share
    // while they work on its state) finish before the state moves, or start after.
    const earlier = await tx
      .select({ id: deployments.id, flowVersionId: deployments.flowVersionId, versionNumber: flowVersions.number })
      .from(deployments)
      .innerJoin(flowVersions, eq(flowVersions.id, deployments.flowVersionId))
      .where(and(eq(deployments.flowId, version.flowId), ne(deployments.id, deployment!.id)))
      .for("update", { of: deployments });
    // The version's Aggregate and Dedupe nodes, and by node the versions whose state they share.
    const { nodes, versions } = await versionsSharingState(tx, version.id);
    const handover: StateHandover = { windows: 0, watermarks: 0, dedupeNodes: [], leftBehind: [] };
    for (const source of earlier) {
      for (const node of nodes) {
        if (!versions.get(node.id)!.includes(source.flowVersionId)) continue;
        if (node.type === "dedupe" && !handover.dedupeNodes.includes(node.id)) handover.dedupeNodes.push(node.id);
        if (node.type !== "aggregate") continue;
        // The grace period may change without changing the windows: they close by this version's.
        const [moved] = await rowsOf<{ windows: number }>(
          tx,
          sql`with moved as (
                update runtime_windows set deployment_id = ${deployment!.id}::uuid, closes_at = (state->>'end')::timestamptz + ${durationMs(node.config.grace)} * interval '1 millisecond'
                where deployment_id = ${source.id}::uuid and node_id = ${node.id} returning 1)
              select count(*)::int as windows from moved`,
        );
        handover.windows += moved?.windows ?? 0;
        const watermarks = await tx
          .update(runtimeWatermarks)
          .set({ deploymentId: deployment!.id })
          .where(and(eq(runtimeWatermarks.deploymentId, source.id), eq(runtimeWatermarks.nodeId, node.id)))
          .returning({ nodeId: runtimeWatermarks.nodeId });
        handover.watermarks += watermarks.length;
      }
      const remaining = await tx
        .select({ nodeId: runtimeWindows.nodeId, windows: sql<number>`count(*)::int` })
        .from(runtimeWindows)
        .where(eq(runtimeWindows.deploymentId, source.id))
        .groupBy(runtimeWindows.nodeId);
      for (const { nodeId, windows } of remaining) {
        const reason = plan.document.nodes.some((node) => node.id === nodeId)
          ? `its Aggregate node "${nodeId}" changed how windows are keyed, timed or measured`
          : `v${version.number} has no node "${nodeId}"`;
        handover.leftBehind.push({ versionNumber: source.versionNumber, nodeId, windows, reason });
      }
    }
    const alsoProcessedBy = await otherFlowsAccepting(tx, input.workspaceId, version.flowId, plan);
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "deployment.deployed",
      entityType: "deployment",
      entityId: deployment!.id,
      details: {
        flowId: version.flowId,
        versionId: version.id,
        versionNumber: version.number,
        contentHash: version.contentHash,
        replaced: previous?.id ?? null,
        handover,
        alsoProcessedBy,
      },
    });
    return { ...deployment!, handover, alsoProcessedBy };
  });
}

/** Another running flow of the workspace whose sources accept some of the same events. */
export interface OverlappingFlow {
  flowId: string;
  flowName: string;
  versionNumber: number;
  eventTypes: string[];
}

/**
 * The workspace's other running flows that take some of the events this plan takes: each such
 * event is processed, and billed, by every one of them. Said at deploy, not refused: two flows
 * may mean to make different things of the same events.
 */
async function otherFlowsAccepting(
  tx: Database,
  workspaceId: string,
  flowId: string,
  plan: FlowPlan,
): Promise<OverlappingFlow[]> {
  const running = await tx
    .select({
      flowId: deployments.flowId,
      flowVersionId: deployments.flowVersionId,
      flowName: flows.name,
      versionNumber: flowVersions.number,
    })
    .from(deployments)
    .innerJoin(flows, eq(flows.id, deployments.flowId))
    .innerJoin(flowVersions, eq(flowVersions.id, deployments.flowVersionId))
    .where(
      and(eq(deployments.workspaceId, workspaceId), eq(deployments.status, "active"), ne(deployments.flowId, flowId)),
    )
    .orderBy(flows.name);
  const overlapping: OverlappingFlow[] = [];
  for (const other of running) {
    const eventTypes = new Set<string>();
    const theirSources = sourcesOf(await planFor(tx, other.flowVersionId));
    for (const mine of sourcesOf(plan)) {
      for (const theirs of theirSources) {
        const sharedSource =
          mine.sources.length === 0 ||
          theirs.sources.length === 0 ||
          mine.sources.some((source) => theirs.sources.includes(source));
        if (sharedSource)
          for (const type of mine.eventTypes) if (theirs.eventTypes.includes(type)) eventTypes.add(type);
      }
    }
    if (eventTypes.size > 0)
      overlapping.push({
        flowId: other.flowId,
        flowName: other.flowName,
        versionNumber: other.versionNumber,
        eventTypes: [...eventTypes].sort(),
      });
  }
  return overlapping;
}

function sourcesOf(plan: FlowPlan) {
  return plan.document.nodes.flatMap((node) => (node.type === "source.events" ? [node.config] : []));
}

/**
 * Holds a deployment's row for share until the transaction ends and returns its status: a deploy
 * locks the rows of the deployments whose state it moves, so it waits for work holding one, and
 * work that asks after a deploy sees where the state went.
 */
export async function holdDeployment(tx: Database, deploymentId: string): Promise<Deployment["status"] | undefined> {
  const [row] = await tx
    .select({ status: deployments.status })
    .from(deployments)
    .where(eq(deployments.id, deploymentId))
    .for("share");
  return row?.status;
}

const dedupeScopeCache = new Map<string, Map<string, string[]>>();

/**
 * By Dedupe node, the deployments whose remembered keys it consults: its own, and the flow's
 * earlier deployments whose node has the same key expression and that still hold keys of it
 * (expired ones are pruned). Known once per deployment: only deploying a later version makes
 * keys under another deployment, and that stops this one first; earlier keys only expire.
 */
export async function dedupeScopes(db: Database, deploymentId: string): Promise<Map<string, string[]>> {
  const cached = dedupeScopeCache.get(deploymentId);
  if (cached) return cached;
  const [deployment] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
  if (!deployment) throw new NotFoundError("Deployment", deploymentId);
  const { nodes, versions } = await versionsSharingState(db, deployment.flowVersionId);
  const earlier = await db
    .select({ id: deployments.id, flowVersionId: deployments.flowVersionId })
    .from(deployments)
    .where(
      and(
        eq(deployments.flowId, deployment.flowId),
        ne(deployments.id, deployment.id),
        lte(deployments.deployedAt, deployment.deployedAt),
      ),
    );
  const scopes = new Map<string, string[]>();
  for (const node of nodes) {
    if (node.type !== "dedupe") continue;
    const candidates = earlier
      .filter((candidate) => versions.get(node.id)!.includes(candidate.flowVersionId))
      .map((candidate) => candidate.id);
    const holding =
      candidates.length === 0
        ? []
        : await rowsOf<{ id: string }>(
            db,
            sql`select c.id from unnest(${uuidArray(candidates)}) as c(id)
                where exists (select 1 from dedupe_keys k where k.deployment_id = c.id and k.node_id = ${node.id})`,
          );
    scopes.set(node.id, [deployment.id, ...holding.map((row) => row.id)]);
  }
  dedupeScopeCache.set(deploymentId, scopes);
  return scopes;
}

/**
 * A version's stateful nodes (Aggregate, Dedupe) and, by node, the versions of its flow (itself
 * included) whose node of that id has the same state identity. Asked afresh each time (plans are
 * cached): a version published later may summarise windows through a backfill.
 */
export async function versionsSharingState(db: Database, flowVersionId: string) {
  const [version] = await db
    .select({ flowId: flowVersions.flowId })
    .from(flowVersions)
    .where(eq(flowVersions.id, flowVersionId));
  if (!version) throw new NotFoundError("Flow version", flowVersionId);
  const nodes = (await planFor(db, flowVersionId)).document.nodes.filter((node) => stateIdentity(node) !== undefined);
  const versions = new Map(nodes.map((node) => [node.id, [] as string[]]));
  for (const other of await db
    .select({ id: flowVersions.id })
    .from(flowVersions)
    .where(eq(flowVersions.flowId, version.flowId))) {
    const theirs = new Map((await planFor(db, other.id)).document.nodes.map((node) => [node.id, node]));
    for (const node of nodes) {
      const their = theirs.get(node.id);
      if (their && stateIdentity(their) === stateIdentity(node)) versions.get(node.id)!.push(other.id);
    }
  }
  return { nodes, versions };
}

export async function stopDeployment(
  db: Database,
  input: { workspaceId: string; deploymentId: string; actor: AuditActor },
): Promise<Deployment> {
  const [stopped] = await db
    .update(deployments)
    .set({ status: "stopped", stoppedAt: new Date() })
    .where(
      and(
        eq(deployments.id, input.deploymentId),
        eq(deployments.workspaceId, input.workspaceId),
        eq(deployments.status, "active"),
      ),
    )
    .returning();
  if (!stopped) throw new NotFoundError("Active deployment", input.deploymentId);
  await appendAudit(db, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "deployment.stopped",
    entityType: "deployment",
    entityId: stopped.id,
    details: {},
  });
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
  return db
    .select()
    .from(deployments)
    .where(and(eq(deployments.workspaceId, workspaceId), eq(deployments.status, "active")))
    .orderBy(deployments.deployedAt);
}
