import { and, desc, eq, sql } from "drizzle-orm";
import { eventOutcome, eventsRaw, eventStatus } from "@meterflow/db";
import { ingestEvents } from "@meterflow/runtime";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const eventsRouter = router({
  /** The same ingestion as POST /v1/events, for typed callers. */
  ingest: workspaceProcedure
    .input(
      z.object({
        events: z.array(z.unknown()).min(1, "Send at least one event").max(1000, "At most 1,000 events per call"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const ingest = () => ingestEvents(ctx.db, ctx.workspaceId, input.events);
      const summary = await (ctx.runtime?.ingestActivity ? ctx.runtime.ingestActivity.track(ingest) : ingest());
      ctx.runtime?.metrics?.ingested(summary);
      ctx.runtime?.wake();
      return summary;
    }),

  /**
   * Recent events with their status and outcome, newest first; given an `id`, the events of that
   * id (from any source) with the envelope as sent: "did my event arrive, and what became of it?"
   */
  list: workspaceProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(500).default(50),
          id: z.string().trim().min(1).max(500).optional(),
        })
        .default({ limit: 50 }),
    )
    .query(async ({ ctx, input }) =>
      ctx.db
        .select({
          seq: eventsRaw.seq,
          id: eventsRaw.eventId,
          source: eventsRaw.source,
          type: eventsRaw.type,
          time: eventsRaw.time,
          partitionKey: eventsRaw.partitionKey,
          status: eventStatus,
          outcome: eventOutcome,
          receivedAt: eventsRaw.receivedAt,
          envelope: input.id ? eventsRaw.envelope : sql<null>`null`,
        })
        .from(eventsRaw)
        .where(and(eq(eventsRaw.workspaceId, ctx.workspaceId), input.id ? eq(eventsRaw.eventId, input.id) : undefined))
        .orderBy(desc(eventsRaw.seq))
        .limit(input.limit),
    ),

  /** The last stored events as sent, newest first, e.g. to test-run a flow on real traffic. */
  recentEnvelopes: workspaceProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(10) }).default({ limit: 10 }))
    .query(async ({ ctx, input }) =>
      (
        await ctx.db
          .select({ envelope: eventsRaw.envelope })
          .from(eventsRaw)
          .where(eq(eventsRaw.workspaceId, ctx.workspaceId))
          .orderBy(desc(eventsRaw.seq))
          .limit(input.limit)
      ).map((row) => row.envelope),
    ),
});
