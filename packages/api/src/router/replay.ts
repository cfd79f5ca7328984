import { replayEvents } from "@meterflow/runtime";
import { z } from "zod";
import { procedureFor, router } from "../trpc";
import { timeRange } from "./time-range";

export const replayRouter = router({
  run: procedureFor("operator")
    .input(z.object({ flowVersionId: z.uuid(), mode: z.enum(["dry_run", "backfill"]) }).and(timeRange))
    .mutation(({ ctx, input }) =>
      replayEvents(ctx.db, {
        workspaceId: ctx.workspaceId,
        flowVersionId: input.flowVersionId,
        from: new Date(input.from),
        to: new Date(input.to),
        mode: input.mode,
        actor: ctx.actor,
        ...(input.tenant ? { tenant: input.tenant } : {}),
      }),
    ),
});
