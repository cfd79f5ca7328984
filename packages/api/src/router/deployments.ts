import { deployVersion, listDeployments, stopDeployment } from "@meterflow/runtime";
import { z } from "zod";
import { procedureFor, router, workspaceProcedure } from "../trpc";

export const deploymentsRouter = router({
  list: workspaceProcedure.query(({ ctx }) => listDeployments(ctx.db, ctx.workspaceId)),

  deploy: procedureFor("publisher")
    .input(z.object({ versionId: z.uuid("versionId must be a flow version id") }))
    .mutation(async ({ ctx, input }) => {
      const deployment = await deployVersion(ctx.db, {
        workspaceId: ctx.workspaceId,
        versionId: input.versionId,
        actor: ctx.actor,
      });
      ctx.runtime?.wake();
      return deployment;
    }),

  stop: procedureFor("publisher")
    .input(z.object({ deploymentId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      stopDeployment(ctx.db, { workspaceId: ctx.workspaceId, deploymentId: input.deploymentId, actor: ctx.actor }),
    ),
});
