import { reconcile } from "@meterflow/runtime";
import { router, workspaceProcedure } from "../trpc";
import { timeRange } from "./time-range";

export const reconciliationRouter = router({
  run: workspaceProcedure.input(timeRange).query(({ ctx, input }) =>
    reconcile(ctx.db, {
      workspaceId: ctx.workspaceId,
      from: new Date(input.from),
      to: new Date(input.to),
      ...(input.tenant ? { tenant: input.tenant } : {}),
      ...(ctx.runtime?.erp ? { erp: ctx.runtime.erp } : {}),
    }),
  ),
});
