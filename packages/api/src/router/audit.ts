import { listAudit } from "@meterflow/db";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

/** What was done, by whom and when: flows, versions, deployments, exceptions, approvals, replays. */
export const auditRouter = router({
  list: workspaceProcedure
    .input(
      z
        .object({
          entityType: z
            .string()
            .trim()
            .min(1)
            .max(50, "entityType names a kind of entity, such as exception")
            .optional(),
          entityId: z.string().trim().min(1).max(200).optional(),
          limit: z.number().int().min(1).max(500, "At most 500 entries at a time").default(100),
        })
        .default({ limit: 100 }),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, { workspaceId: ctx.workspaceId, ...input })),
});
