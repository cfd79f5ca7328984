import { getVersion, listVersions, publishVersion } from "@meterflow/db";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const versionsRouter = router({
  list: workspaceProcedure
    .input(z.object({ flowId: z.uuid() }))
    .query(({ ctx, input }) => listVersions(ctx.db, ctx.workspaceId, input.flowId)),

  get: workspaceProcedure
    .input(z.object({ id: z.uuid() }))
    .query(({ ctx, input }) => getVersion(ctx.db, ctx.workspaceId, input.id)),

  /** Snapshots the draft as the next immutable version (the review workflow comes later). */
  publish: workspaceProcedure
    .input(
      z.object({
        flowId: z.uuid(),
        changelog: z.string().trim().min(1, "Say what changed in this version").max(2000),
        expectedRevision: z.number().int().positive().optional(),
      }),
    )
    .mutation(({ ctx, input }) => publishVersion(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input })),
});
