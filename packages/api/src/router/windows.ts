import { desc, eq } from "drizzle-orm";
import { usageSummaries } from "@meterflow/db";
import { closeDueWindows, countOpenWindows, listOpenWindows } from "@meterflow/runtime";
import { z } from "zod";
import { procedureFor, router, workspaceProcedure } from "../trpc";

export const windowsRouter = router({
  /** The open windows closing soonest (100), how many are open (counted up to 10,000), and the latest closed. */
  list: workspaceProcedure.query(async ({ ctx }) => ({
    open: await listOpenWindows(ctx.db, ctx.workspaceId),
    openCount: await countOpenWindows(ctx.db, ctx.workspaceId),
    closed: await ctx.db
      .select()
      .from(usageSummaries)
      .where(eq(usageSummaries.workspaceId, ctx.workspaceId))
      .orderBy(desc(usageSummaries.createdAt))
      .limit(100),
  })),

  /** Closes due windows now, or every open window (an early close: later events for them become late events). */
  close: procedureFor("operator")
    .input(z.object({ all: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => closeDueWindows(ctx.db, { all: input.all, workspaceId: ctx.workspaceId })),
});
