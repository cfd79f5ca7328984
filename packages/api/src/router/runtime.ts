import { and, desc, eq, sql } from "drizzle-orm";
import {
  approvalStatuses,
  eventOutcome,
  eventsRaw,
  eventStatus,
  exceptionStatuses,
  lineage,
  listApiKeys,
  oldestOpenTransaction,
  postings,
  postingStatuses,
  usageSummaries,
} from "@meterflow/db";
import { exceptionKinds } from "@meterflow/flow-spec";
import {
  closeDueWindows,
  countOpenWindows,
  decideApproval,
  deployVersion,
  ingestEvents,
  latestUsageRecords,
  listApprovals,
  listDeployments,
  listExceptions,
  listOpenWindows,
  reconcile,
  replayEvents,
  resolveExceptions,
  retryExceptions,
  stopDeployment,
  tracePosting,
  workspaceCounts,
} from "@meterflow/runtime";
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
const timeRange = z
  .object({
    from: z.iso.datetime({ offset: true, error: "from must be an ISO 8601 date-time" }),
    to: z.iso.datetime({ offset: true, error: "to must be an ISO 8601 date-time" }),
    tenant: z.string().min(1).optional(),
  })
  .refine((range) => Date.parse(range.from) < Date.parse(range.to), {
    message: "from must be before to",
    path: ["to"],
  });

export const runtimeRouter = router({
  /** The workspace's API keys; the key created at first start is shown in full so a newcomer can use it. */
  apiKeys: workspaceProcedure.query(async ({ ctx }) => {
    const keys = await listApiKeys(ctx.db, ctx.workspaceId);
    return keys.map((key) => ({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      key: key.key ?? null,
      createdAt: key.createdAt,
      revoked: key.revokedAt !== null,
    }));
  }),

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

  deployments: workspaceProcedure.query(({ ctx }) => listDeployments(ctx.db, ctx.workspaceId)),
  deploy: procedureFor("publisher")
    .input(z.object({ versionId: z.uuid("versionId must be a flow version id") }))
    .mutation(async ({ ctx, input }) => {
      const deployment = await deployVersion(ctx.db, {
        workspaceId: ctx.workspaceId,
        versionId: input.versionId,
        actor: ctx.actor.id,
      });
      ctx.runtime?.wake();
      return deployment;
    }),
  stop: procedureFor("publisher")
    .input(z.object({ deploymentId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      stopDeployment(ctx.db, { workspaceId: ctx.workspaceId, deploymentId: input.deploymentId, actor: ctx.actor.id }),
    ),

  /**
   * Recent events with their status and outcome, newest first; given an `id`, the events of that
   * id (from any source) with the envelope as sent: "did my event arrive, and what became of it?"
   */
  events: workspaceProcedure
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
  /** The latest usage records, each with the record as its flow produced it (`payload`). */
  usageRecords: workspaceProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => latestUsageRecords(ctx.db, ctx.workspaceId, input.limit)),
  /** The open windows closing soonest (100), how many are open (counted up to 10,000), and the latest closed. */
  windows: workspaceProcedure.query(async ({ ctx }) => ({
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
  closeWindows: procedureFor("operator")
    .input(z.object({ all: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => closeDueWindows(ctx.db, { all: input.all, workspaceId: ctx.workspaceId })),

  /**
   * The latest postings (100), without their requests and attempt logs: those hold every line and
   * every ERP answer (900 KB for 100 postings of 100 lines), and the trace of one shows them.
   */
  postings: workspaceProcedure
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

  exceptions: workspaceProcedure
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
        ids.length > 0 ? await retryExceptions(ctx.db, { workspaceId: ctx.workspaceId, ids, actor: ctx.actor.id }) : [];
      ctx.runtime?.wake();
      const outcomes = { resolved: 0, still_failing: 0, queued: 0 };
      for (const result of results) outcomes[result.outcome] += 1;
      return { tried: ids.length, outcomes, more: open.length > RETRY_ALL_LIMIT };
    }),
  retryExceptions: procedureFor("operator")
    .input(z.object({ ids }))
    .mutation(async ({ ctx, input }) => {
      const results = await retryExceptions(ctx.db, {
        workspaceId: ctx.workspaceId,
        ids: input.ids,
        actor: ctx.actor.id,
      });
      ctx.runtime?.wake();
      return results;
    }),
  resolveExceptions: procedureFor("operator")
    .input(
      z.object({ ids, comment: z.string().trim().min(3, "Say why it is resolved (at least 3 characters)").max(2000) }),
    )
    .mutation(({ ctx, input }) =>
      resolveExceptions(ctx.db, {
        workspaceId: ctx.workspaceId,
        ids: input.ids,
        actor: ctx.actor.id,
        comment: input.comment,
      }),
    ),

  approvals: workspaceProcedure
    .input(z.object({ status: z.enum(approvalStatuses).optional() }).default({}))
    .query(({ ctx, input }) => listApprovals(ctx.db, ctx.workspaceId, input.status)),
  decide: workspaceProcedure
    .input(
      z.object({
        approvalId: z.uuid(),
        decision: z.enum(["approve", "reject"]),
        comment: z.string().trim().min(3, "Say why (at least 3 characters)").max(2000),
      }),
    )
    .mutation(({ ctx, input }) =>
      decideApproval(ctx.db, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor.id,
        actorRoles: ctx.actor.roles,
        ...input,
      }),
    ),

  replay: procedureFor("operator")
    .input(z.object({ flowVersionId: z.uuid(), mode: z.enum(["dry_run", "backfill"]) }).and(timeRange))
    .mutation(({ ctx, input }) =>
      replayEvents(ctx.db, {
        workspaceId: ctx.workspaceId,
        flowVersionId: input.flowVersionId,
        from: new Date(input.from),
        to: new Date(input.to),
        mode: input.mode,
        actor: ctx.actor.id,
        ...(input.tenant ? { tenant: input.tenant } : {}),
      }),
    ),

  reconcile: workspaceProcedure.input(timeRange).query(({ ctx, input }) =>
    reconcile(ctx.db, {
      workspaceId: ctx.workspaceId,
      from: new Date(input.from),
      to: new Date(input.to),
      ...(input.tenant ? { tenant: input.tenant } : {}),
      ...(ctx.runtime?.erp ? { erp: ctx.runtime.erp } : {}),
    }),
  ),

  /** An ERP posting traced back through its rated items and windows to the raw events and the flow version. */
  tracePosting: workspaceProcedure
    .input(z.object({ idempotencyKey: z.string().min(1, "Give the posting's idempotency key").max(128) }))
    .query(({ ctx, input }) =>
      tracePosting(ctx.db, { workspaceId: ctx.workspaceId, idempotencyKey: input.idempotencyKey }),
    ),

  /** Where an output came from: its lineage links, one hop (the designer follows them). */
  lineage: workspaceProcedure.input(z.object({ outputId: z.string().min(1) })).query(({ ctx, input }) =>
    ctx.db
      .select()
      .from(lineage)
      .where(and(eq(lineage.workspaceId, ctx.workspaceId), eq(lineage.outputId, input.outputId))),
  ),
});
