import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import {
  appendAudit,
  approvals,
  countUpTo,
  deployments,
  eventsRaw,
  exceptions,
  NotFoundError,
  postings,
  type CappedCount,
  type Database,
  type ExceptionKind,
  type ExceptionStatus,
  type AuditActor,
} from "@meterflow/db";
import type { CloudEvent, Item } from "@meterflow/engine";
import { planFor } from "../processing/deployments";
import { DeploymentChangedError, processEvents } from "../processing/process-events";
import { commitRun, runOnPartition } from "../processing/partition-run";
import { historyAppend } from "../exception-history";
import { tryLockPartition } from "../processing/runtime-store";

export type ExceptionRow = typeof exceptions.$inferSelect;

/** A workspace's exceptions, newest first, of a status, kind and tenant (partition) when given. */
export async function listExceptions(
  db: Database,
  workspaceId: string,
  filter: { status?: ExceptionStatus; kind?: ExceptionKind; tenant?: string; limit?: number } = {},
) {
  return db
    .select()
    .from(exceptions)
    .where(
      and(
        eq(exceptions.workspaceId, workspaceId),
        filter.status ? eq(exceptions.status, filter.status) : undefined,
        filter.kind ? eq(exceptions.kind, filter.kind) : undefined,
        filter.tenant ? eq(exceptions.partitionKey, filter.tenant) : undefined,
      ),
    )
    .orderBy(desc(exceptions.createdAt))
    .limit(filter.limit ?? 200);
}

export interface RetryResult {
  id: string;
  outcome: "resolved" | "still_failing" | "queued";
  reason?: string;
}

/**
 * Retries open exceptions, each in its own transaction: an ERP failure re-queues its posting;
 * an unrouted event is processed again; a rejected approval goes back to review; anything
 * else runs again from the node that raised it, with today's reference data and the flow's
 * currently deployed version. Success resolves the exception; a new failure keeps it open with
 * the new reason in its history. Never a second exception for the same item.
 */
export async function retryExceptions(
  db: Database,
  input: { workspaceId: string; ids: string[]; actor: AuditActor; now?: Date },
): Promise<RetryResult[]> {
  const results: RetryResult[] = [];
  for (const id of input.ids) {
    results.push(
      await db.transaction((tx) => retryOne(tx, input.workspaceId, id, input.actor, input.now ?? new Date())),
    );
  }
  return results;
}

async function retryOne(
  tx: Database,
  workspaceId: string,
  id: string,
  actor: AuditActor,
  now: Date,
): Promise<RetryResult> {
  const exception = await lockOpenException(tx, workspaceId, id);
  const history = (action: string, comment?: string): SQL =>
    historyAppend({ at: now.toISOString(), actor: actor.id, action, ...(comment ? { comment } : {}) });
  const finish = async (status: ExceptionStatus, action: string, comment?: string, reason?: string) => {
    await tx
      .update(exceptions)
      .set({ status, history: history(action, comment), updatedAt: now, ...(reason ? { reason } : {}) })
      .where(eq(exceptions.id, id));
    await appendAudit(tx, {
      workspaceId,
      actor,
      action: `exception.${action}`,
      entityType: "exception",
      entityId: id,
      details: { kind: exception.kind, ...(comment ? { comment } : {}) },
    });
  };

  if (exception.kind === "erp_failure" && exception.postingId) {
    await tx
      .update(postings)
      .set({ status: "pending", attempts: 0, nextAttemptAt: now, updatedAt: now })
      .where(eq(postings.id, exception.postingId));
    await finish("retrying", "retried", "posting queued for delivery again");
    return { id, outcome: "queued" };
  }
  if (exception.kind === "approval_rejected" && exception.raisedBy && exception.itemId && exception.flowVersionId) {
    await tx
      .update(approvals)
      .set({ status: "pending", decidedBy: null, decidedAt: null, comment: null })
      .where(
        and(
          eq(approvals.flowVersionId, exception.flowVersionId),
          eq(approvals.nodeId, exception.raisedBy),
          eq(approvals.itemId, exception.itemId),
        ),
      );
    await finish("resolved", "retried", "sent back to approval");
    return { id, outcome: "queued" };
  }
  if (!exception.raisedBy || !exception.deploymentId || !exception.partitionKey) {
    if (exception.eventSeq === null) {
      // An event refused at ingestion (a published one nobody was waiting to answer) was never stored.
      if (exception.raisedBy === "ingestion")
        throw new RetryRefusedError(
          `Exception ${id} is an event refused at ingestion and never stored: send it again corrected, and resolve this one with a comment`,
        );
      throw new RetryRefusedError(
        `Exception ${id} has neither a node to resume at nor a stored event; resolve it with a comment instead`,
      );
    }
    return reprocessEvent(tx, id, exception.eventSeq, exception.deploymentId, now, finish);
  }

  const deployment = await currentDeployment(tx, exception.deploymentId);
  if (!(await tryLockPartition(tx, workspaceId, exception.partitionKey)))
    throw new RetryRefusedError(`Partition ${exception.partitionKey} is being processed; retry in a moment`);
  const plan = await planFor(tx, deployment.flowVersionId);
  const item: Item = {
    id: exception.itemId ?? id,
    value: exception.payload,
    events: exception.eventKeys,
    correlationId: exception.correlationId ?? id,
  };
  const resumeAt = plan.document.nodes.some((node) => node.id === exception.raisedBy) ? exception.raisedBy : undefined;
  if (!resumeAt)
    throw new RetryRefusedError(
      `The deployed version has no node "${exception.raisedBy}" to resume at; resolve the exception with a comment, or replay its events`,
    );
  const target = {
    workspaceId,
    flowVersionId: deployment.flowVersionId,
    deploymentId: deployment.id,
    partitionKey: exception.partitionKey,
    plan,
    now,
  };
  const { effects, changes } = await runOnPartition(tx, target, (context) => plan.resume(resumeAt, [item], context), {
    freshReference: true,
    ignoreStoredDedupe: true,
  });
  const stillFailing = effects.exceptions.filter((raised) => raised.itemId === item.id);
  const seqs = new Map(
    exception.eventSeq !== null ? exception.eventKeys.map((key) => [key, exception.eventSeq!] as const) : [],
  );
  // A failure again updates this exception rather than raising a second one for the same item.
  await commitRun(
    tx,
    target,
    changes,
    { ...effects, exceptions: effects.exceptions.filter((raised) => raised.itemId !== item.id) },
    seqs,
  );
  if (stillFailing.length > 0) {
    const reason = stillFailing.map((raised) => raised.reason).join("; ");
    await finish("open", "retried", `still failing: ${reason}`, reason);
    return { id, outcome: "still_failing", reason };
  }
  if (exception.eventSeq !== null)
    await tx.update(eventsRaw).set({ outcome: null }).where(eq(eventsRaw.seq, exception.eventSeq));
  await finish("resolved", "retried", `succeeded with flow version ${deployment.flowVersionId}`);
  return { id, outcome: "resolved" };
}

/**
 * Runs a stored event through the deployed flows again, now, under its partition's lock (an
 * event no flow accepted, say, after a flow for it was deployed); through the refusing flow only
 * when one flow's deployment refused it (the others processed it already). A new problem is a
 * new exception, as when it was first processed.
 */
async function reprocessEvent(
  tx: Database,
  id: string,
  seq: number,
  refusedBy: string | null,
  now: Date,
  finish: (status: ExceptionStatus, action: string, comment?: string) => Promise<void>,
): Promise<RetryResult> {
  const onlyFlow = refusedBy
    ? (await tx.select({ flowId: deployments.flowId }).from(deployments).where(eq(deployments.id, refusedBy)))[0]
        ?.flowId
    : undefined;
  const [event] = await tx
    .select({
      seq: eventsRaw.seq,
      workspaceId: eventsRaw.workspaceId,
      partitionKey: eventsRaw.partitionKey,
      envelope: eventsRaw.envelope,
    })
    .from(eventsRaw)
    .where(eq(eventsRaw.seq, seq));
  if (!event)
    throw new RetryRefusedError(
      `The stored event ${seq} of this exception no longer exists; resolve it with a comment instead`,
    );
  if (!(await tryLockPartition(tx, event.workspaceId, event.partitionKey)))
    throw new RetryRefusedError(`Partition ${event.partitionKey} is being processed; retry in a moment`);
  const outcome = (
    await processEvents(
      tx,
      event.workspaceId,
      [
        {
          partitionKey: event.partitionKey,
          rows: [{ seq: event.seq, envelope: event.envelope as unknown as CloudEvent }],
        },
      ],
      now,
      onlyFlow ? { onlyFlow } : {},
    ).catch((error: unknown) => {
      throw error instanceof DeploymentChangedError
        ? new RetryRefusedError("The flow was deployed meanwhile; retry again")
        : error;
    })
  ).get(seq);
  if (outcome === "validated") await tx.update(eventsRaw).set({ outcome: null }).where(eq(eventsRaw.seq, seq));
  if (outcome === "exception") {
    await finish("resolved", "retried", "event processed again and raised a new exception");
    return { id, outcome: "still_failing", reason: "the event raised a new exception" };
  }
  await finish("resolved", "retried", `event processed again: ${outcome}`);
  return { id, outcome: "resolved" };
}

export async function resolveExceptions(
  db: Database,
  input: { workspaceId: string; ids: string[]; actor: AuditActor; comment: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const id of input.ids) {
      await lockOpenException(tx, input.workspaceId, id);
      await tx
        .update(exceptions)
        .set({
          status: "resolved",
          history: historyAppend({
            at: new Date().toISOString(),
            actor: input.actor.id,
            action: "resolved",
            comment: input.comment,
          }),
          updatedAt: new Date(),
        })
        .where(eq(exceptions.id, id));
      await appendAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: "exception.resolved",
        entityType: "exception",
        entityId: id,
        details: { comment: input.comment },
      });
    }
  });
}

export class RetryRefusedError extends Error {
  readonly code = "PRECONDITION_FAILED";
}

async function lockOpenException(tx: Database, workspaceId: string, id: string): Promise<ExceptionRow> {
  const [exception] = await tx
    .select()
    .from(exceptions)
    .where(and(eq(exceptions.workspaceId, workspaceId), eq(exceptions.id, id)))
    .for("update");
  if (!exception) throw new NotFoundError("Exception", id);
  if (exception.status !== "open")
    throw new RetryRefusedError(
      `Exception ${id} is ${exception.status}; only open exceptions can be retried or resolved`,
    );
  return exception;
}

/** The deployment now running the exception's flow (a fixed, redeployed version), else its own. */
async function currentDeployment(tx: Database, deploymentId: string) {
  const [original] = await tx.select().from(deployments).where(eq(deployments.id, deploymentId));
  if (!original) throw new NotFoundError("Deployment", deploymentId);
  // Held for share while the retry works on its state (a deploy moving that state waits); a
  // deploy that committed first is seen by asking again.
  const active = await activeDeploymentOf(tx, original.flowId);
  if (!active) throw new RetryRefusedError(`Flow ${original.flowId} is not deployed; deploy a version before retrying`);
  return active;
}

async function activeDeploymentOf(tx: Database, flowId: string) {
  const find = async () =>
    (
      await tx
        .select()
        .from(deployments)
        .where(and(eq(deployments.flowId, flowId), eq(deployments.status, "active")))
        .for("share")
    )[0];
  return (await find()) ?? (await find());
}

/**
 * A workspace's open exceptions, counted up to `cap` (then `capped`): the Operations page asks
 * every few seconds, and a flood of them (every event of a tenant missing from the account map)
 * would be counted in full each time (about 60 ms per 100,000).
 */
export function countOpenExceptions(db: Database, workspaceId: string, cap?: number): Promise<CappedCount> {
  return countUpTo(db, sql`select 1 from exceptions where workspace_id = ${workspaceId} and status = 'open'`, cap);
}
