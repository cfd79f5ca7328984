import { latestUsageRecords } from "@meterflow/runtime";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const usageRecordsRouter = router({
  /** The latest usage records, each with the record as its flow produced it (`payload`). */
  list: workspaceProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => latestUsageRecords(ctx.db, ctx.workspaceId, input.limit)),
});
