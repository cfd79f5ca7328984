import { and, eq, lte, sql } from "drizzle-orm";
import {
  countUpTo,
  deployments,
  flows,
  flowVersions,
  runtimeWatermarks,
  runtimeWindows,
  type CappedCount,
  type Database,
} from "@meterflow/db";
import { durationMs } from "@meterflow/engine";
import { holdDeployment, planFor } from "./deployments";
import { commitRun, runOnPartition } from "./partition-run";
import { tryLockPartition, type RunTarget } from "./runtime-store";

export interface CloseReport {
  partitions: number;
  windows: number;
  postings: number;
  approvals: number;
  exceptions: number;
}

/**
 * The window scheduler's tick: closes every open window whose end plus grace period has passed
 * (or all open windows of a workspace, on an operator's request), sends the summaries through the
 * nodes downstream (Rate, Approval, Post) and commits the results per partition. The watermark
 * moves past what closed, so an event for a closed window becomes a late event, never a second
 * summary of the same window.
 */
export async function closeDueWindows(
  db: Database,
  options: { now?: Date; all?: boolean; workspaceId?: string } = {},
): Promise<CloseReport> {
  const now = options.now ?? new Date();
  const report: CloseReport = { partitions: 0, windows: 0, postings: 0, approvals: 0, exceptions: 0 };
  const due = await db
    .selectDistinct({
      deploymentId: runtimeWindows.deploymentId,
      partitionKey: runtimeWindows.partitionKey,
      workspaceId: deployments.workspaceId,
      flowVersionId: deployments.flowVersionId,
    })
    .from(runtimeWindows)
    .innerJoin(deployments, eq(deployments.id, runtimeWindows.deploymentId))
    .where(
      and(
        options.all ? undefined : lte(runtimeWindows.closesAt, now),
        options.workspaceId ? eq(deployments.workspaceId, options.workspaceId) : undefined,
      ),
    )
    .limit(500);
  for (const partition of due) {
    await db.transaction(async (tx) => {
      if (!(await tryLockPartition(tx, partition.workspaceId, partition.partitionKey))) return;
      // A deploy may have taken these windows over since they were listed; it cannot meanwhile.
      await holdDeployment(tx, partition.deploymentId);
      const plan = await planFor(tx, partition.flowVersionId);
      const target: RunTarget = {
        workspaceId: partition.workspaceId,
        flowVersionId: partition.flowVersionId,
        deploymentId: partition.deploymentId,
        partitionKey: partition.partitionKey,
        plan,
        now,
      };
      const { effects, changes } = await runOnPartition(
        tx,
        target,
        (context) => plan.closeWindows(context, options.all ? { all: true } : { watermark: now.toISOString() }),
        {
          allWindows: true,
        },
      );
      for (const node of plan.document.nodes) {
        if (node.type !== "aggregate") continue;
        const closed = effects.summaries.filter((summary) => summary.nodeId === node.id);
        const closedUpTo = Math.max(
          options.all ? 0 : now.getTime(),
          ...closed.map((summary) => Date.parse(summary.window.end) + durationMs(node.config.grace)),
        );
        if (closedUpTo > 0) changes.watermarks.set(node.id, new Date(closedUpTo).toISOString());
      }
      await commitRun(tx, target, changes, effects);
      report.partitions += 1;
      report.windows += effects.summaries.length;
      report.postings += effects.postings.length;
      report.approvals += effects.approvals.length;
      report.exceptions += effects.exceptions.length;
    });
  }
  return report;
}

/**
 * Open windows of a workspace, those closing soonest first (`limit`, default 100), with the flow
 * version that will summarise each, for the operations view: a workspace may hold tens of
 * thousands (a window per tenant and month); listing all of them was 14 MB every poll at 20,000.
 */
export async function listOpenWindows(db: Database, workspaceId: string, { limit = 100 } = {}) {
  return db
    .select({
      deploymentId: runtimeWindows.deploymentId,
      flowName: flows.name,
      versionNumber: flowVersions.number,
      nodeId: runtimeWindows.nodeId,
      partitionKey: runtimeWindows.partitionKey,
      closesAt: runtimeWindows.closesAt,
      state: runtimeWindows.state,
      watermark: runtimeWatermarks.watermark,
    })
    .from(runtimeWindows)
    .innerJoin(deployments, eq(deployments.id, runtimeWindows.deploymentId))
    .innerJoin(flowVersions, eq(flowVersions.id, deployments.flowVersionId))
    .innerJoin(flows, eq(flows.id, deployments.flowId))
    .leftJoin(
      runtimeWatermarks,
      and(
        eq(runtimeWatermarks.deploymentId, runtimeWindows.deploymentId),
        eq(runtimeWatermarks.nodeId, runtimeWindows.nodeId),
        eq(runtimeWatermarks.partitionKey, runtimeWindows.partitionKey),
      ),
    )
    .where(eq(deployments.workspaceId, workspaceId))
    .orderBy(runtimeWindows.closesAt, sql`${runtimeWindows.windowKey}`)
    .limit(limit);
}

/** A workspace's open windows, counted up to `cap` (then `capped`), beside the few listed. */
export function countOpenWindows(db: Database, workspaceId: string, cap?: number): Promise<CappedCount> {
  return countUpTo(
    db,
    sql`select 1 from runtime_windows w join deployments d on d.id = w.deployment_id where d.workspace_id = ${workspaceId}`,
    cap,
  );
}
