import { exceptionStatuses } from "@meterflow/db";
import { exceptionKinds } from "@meterflow/flow-spec";
import { listExceptions, resolveExceptions, retryExceptions } from "@meterflow/runtime";
import { z } from "zod";
import { procedureFor, router, workspaceProcedure } from "../trpc";

const RETRY_ALL_LIMIT = 500;
const ids = z
  .array(z.uuid("Exception ids are UUIDs"))
  .min(1, "Choose at least one exception")
  .max(RETRY_ALL_LIMIT, `At most ${RETRY_ALL_LIMIT} at a time`);
/** Which exceptions: of a kind, of a tenant (the partition the event was processed in). */
const exceptionFilter = {
  kind: z.enum(exceptionKinds).optional(),
  tenant: z.string().trim().min(1).max(200).optional(),
};

export const exceptionsRouter = router({
  list: workspaceProcedure
    .input(z.object({ status: z.enum(exceptionStatuses).optional(), ...exceptionFilter }).default({}))
    .query(({ ctx, input }) => listExceptions(ctx.db, ctx.workspaceId, input)),

  /**
   * Retries the open exceptions of a kind and tenant (or all), the newest 500 a call: after
   * fixing what a flood of them lacked. Says how they ended and whether more remain.
   */
  retryAll: procedureFor("operator")
    .input(z.object(exceptionFilter).default({}))
    .mutation(async ({ ctx, input }) => {
      const open = await listExceptions(ctx.db, ctx.workspaceId, {
        ...input,
        status: "open",
        limit: RETRY_ALL_LIMIT + 1,
      });
      const ids = open.slice(0, RETRY_ALL_LIMIT).map((exception) => exception.id);
      const results =
        ids.length > 0 ? await retryExceptions(ctx.db, { workspaceId: ctx.workspaceId, ids, actor: ctx.actor }) : [];
      ctx.runtime?.wake();
      const outcomes = { resolved: 0, still_failing: 0, queued: 0 };
      for (const result of results) outcomes[result.outcome] += 1;
      return { tried: ids.length, outcomes, more: open.length > RETRY_ALL_LIMIT };
    }),

  retry: procedureFor("operator")
    .input(z.object({ ids }))
    .mutation(async ({ ctx, input }) => {
      const results = await retryExceptions(ctx.db, {
        workspaceId: ctx.workspaceId,
        ids: input.ids,
        actor: ctx.actor,
      });
      ctx.runtime?.wake();
      return results;
    }),

  resolve: procedureFor("operator")
    .input(
      z.object({
        ids,
        comment: z.string().trim().min(3, "Say why it is resolved (at least 3 characters)").max(2000),
      }),
    )
    .mutation(({ ctx, input }) =>
      resolveExceptions(ctx.db, {
        workspaceId: ctx.workspaceId,
        ids: input.ids,
        actor: ctx.actor,
        comment: input.comment,
      }),
    ),
});
