import { and, desc, eq } from "drizzle-orm";
import {
  appendAudit,
  approvals,
  NotFoundError,
  type ApprovalStatus,
  type AuditActor,
  type Database,
} from "@meterflow/db";
import type { Item } from "@meterflow/engine";
import { planFor } from "../processing/deployments";
import { commitRun, runOnPartition } from "../processing/partition-run";
import { RetryRefusedError } from "./exceptions";

export async function listApprovals(db: Database, workspaceId: string, status?: ApprovalStatus) {
  return db
    .select()
    .from(approvals)
    .where(and(eq(approvals.workspaceId, workspaceId), status ? eq(approvals.status, status) : undefined))
    .orderBy(desc(approvals.createdAt))
    .limit(200);
}

/** A decision by someone without the role the Approval node asks for. */
export class ApprovalForbiddenError extends Error {
  readonly code = "FORBIDDEN";
}

/**
 * A decision on a held item by someone with the role its Approval node asks for (finance, say),
 * recorded with who, when and why. Approval sends the item
 * out of the gate's `approved` port (to Post: the posting enters the outbox in this same
 * transaction); rejection sends it out of `rejected` as an approval_rejected exception.
 */
export async function decideApproval(
  db: Database,
  input: {
    workspaceId: string;
    approvalId: string;
    decision: "approve" | "reject";
    actor: AuditActor;
    actorRoles: readonly string[];
    comment: string;
    now?: Date;
  },
) {
  const now = input.now ?? new Date();
  return db.transaction(async (tx) => {
    const [approval] = await tx
      .select()
      .from(approvals)
      .where(and(eq(approvals.workspaceId, input.workspaceId), eq(approvals.id, input.approvalId)))
      .for("update");
    if (!approval) throw new NotFoundError("Approval", input.approvalId);
    if (approval.status !== "pending")
      throw new RetryRefusedError(
        `Approval ${approval.id} was already ${approval.status} by ${approval.decidedBy ?? "someone"}`,
      );
    if (!input.actorRoles.includes(approval.approverRole))
      throw new ApprovalForbiddenError(
        `Approval ${approval.id} needs the ${approval.approverRole} role; ${input.actor.name} does not have it`,
      );
    const plan = await planFor(tx, approval.flowVersionId);
    const item: Item = {
      id: approval.itemId,
      value: approval.payload,
      events: approval.eventKeys,
      correlationId: approval.correlationId ?? approval.itemId,
      ...(input.decision === "reject"
        ? {
            exception: {
              kind: "approval_rejected" as const,
              reason: `Rejected by ${input.actor.name}: ${input.comment}`,
              raisedBy: approval.nodeId,
            },
          }
        : {}),
    };
    const port = input.decision === "approve" ? "approved" : "rejected";
    const target = {
      workspaceId: input.workspaceId,
      flowVersionId: approval.flowVersionId,
      deploymentId: approval.deploymentId,
      partitionKey: approval.partitionKey,
      plan,
      now,
    };
    const { effects, changes } = await runOnPartition(tx, target, (context) =>
      plan.emit(approval.nodeId, port, [item], context),
    );
    await commitRun(tx, target, changes, effects);
    const status = input.decision === "approve" ? "approved" : "rejected";
    const [decided] = await tx
      .update(approvals)
      .set({ status, decidedBy: input.actor.id, decidedAt: now, comment: input.comment })
      .where(eq(approvals.id, approval.id))
      .returning();
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: `approval.${status}`,
      entityType: "approval",
      entityId: approval.id,
      details: {
        comment: input.comment,
        itemId: approval.itemId,
        postings: effects.postings.map((posting) => posting.idempotencyKey),
      },
    });
    return { approval: decided!, postings: effects.postings.length, exceptions: effects.exceptions.length };
  });
}
