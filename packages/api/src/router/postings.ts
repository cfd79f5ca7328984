import { and, desc, eq } from "drizzle-orm";
import { postings, postingStatuses } from "@meterflow/db";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const postingsRouter = router({
  /**
   * The latest postings (100), without their requests and attempt logs: those hold every line and
   * every ERP answer, and the trace of one shows them.
   */
  list: workspaceProcedure
    .input(z.object({ status: z.enum(postingStatuses).optional() }).default({}))
    .query(({ ctx, input }) =>
      ctx.db
        .select({
          id: postings.id,
          endpoint: postings.endpoint,
          operation: postings.operation,
          kind: postings.kind,
          status: postings.status,
          attempts: postings.attempts,
          maxAttempts: postings.maxAttempts,
          nextAttemptAt: postings.nextAttemptAt,
          erpDocumentId: postings.erpDocumentId,
          idempotencyKey: postings.idempotencyKey,
          lastError: postings.lastError,
          createdAt: postings.createdAt,
          updatedAt: postings.updatedAt,
        })
        .from(postings)
        .where(
          and(eq(postings.workspaceId, ctx.workspaceId), input.status ? eq(postings.status, input.status) : undefined),
        )
        .orderBy(desc(postings.createdAt))
        .limit(100),
    ),
});
