import { and, eq } from "drizzle-orm";
import { lineage } from "@meterflow/db";
import { tracePosting } from "@meterflow/runtime";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const lineageRouter = router({
  /** An ERP posting traced back through its rated items and windows to the raw events and the flow version. */
  tracePosting: workspaceProcedure
    .input(z.object({ idempotencyKey: z.string().min(1, "Give the posting's idempotency key").max(128) }))
    .query(({ ctx, input }) =>
      tracePosting(ctx.db, { workspaceId: ctx.workspaceId, idempotencyKey: input.idempotencyKey }),
    ),

  /** Where an output came from: its lineage links, one hop (the designer follows them). */
  links: workspaceProcedure.input(z.object({ outputId: z.string().min(1) })).query(({ ctx, input }) =>
    ctx.db
      .select()
      .from(lineage)
      .where(and(eq(lineage.workspaceId, ctx.workspaceId), eq(lineage.outputId, input.outputId))),
  ),
});
