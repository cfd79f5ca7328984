import { oldestOpenTransaction } from "@meterflow/db";
import { workspaceCounts } from "@meterflow/runtime";
import { router, workspaceProcedure } from "../trpc";

export const overviewRouter = router({
  /** Counts for the operations view: events by status, records, open exceptions, postings by status. */
  stats: workspaceProcedure.query(async ({ ctx }) => {
    const {
      rawEvents,
      pendingEvents,
      usageRecords,
      postings: postingsByStatus,
      openExceptions,
    } = await workspaceCounts(ctx.db, ctx.workspaceId);
    // Why events wait, when a transaction elsewhere holds processing back (see the runtime README).
    const processingHeldBy = pendingEvents > 0 ? await oldestOpenTransaction(ctx.db, 5) : null;
    return {
      rawEvents,
      pendingEvents,
      processingHeldBy,
      usageRecords,
      postings: postingsByStatus,
      // Counted up to 10,000 (capped beyond), like the open windows.
      openExceptions,
      erpPageUrl: ctx.runtime?.erpPageUrl ?? null,
    };
  }),
});
