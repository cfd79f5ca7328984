import { approvalStatuses } from "@meterflow/db";
import { decideApproval, listApprovals } from "@meterflow/runtime";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const approvalsRouter = router({
  list: workspaceProcedure
    .input(z.object({ status: z.enum(approvalStatuses).optional() }).default({}))
    .query(({ ctx, input }) => listApprovals(ctx.db, ctx.workspaceId, input.status)),

  decide: workspaceProcedure
    .input(
      z.object({
        approvalId: z.uuid(),
        decision: z.enum(["approve", "reject"]),
        comment: z.string().trim().min(3, "Say why (at least 3 characters)").max(2000),
      }),
    )
    .mutation(({ ctx, input }) =>
      decideApproval(ctx.db, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        actorRoles: ctx.actor.roles,
        ...input,
      }),
    ),
});
