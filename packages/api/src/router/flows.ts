import { createFlow, getFlow, listFlows, saveDraft } from "@meterflow/db";
import { z } from "zod";
import { checkFlow, flowProblems } from "@meterflow/engine";
import { testRunFlow } from "@meterflow/runtime";
import { router, workspaceProcedure } from "../trpc";

const flowId = z.uuid({ error: "Flow ids are UUIDs" });
/** Documents are checked by flow-spec, which reports every problem with its path. */
const flowDocumentInput = z.record(z.string(), z.unknown(), { error: "The flow document must be a JSON object" });

export const flowsRouter = router({
  /** Dry run of the draft (or of the editor's unsaved document) on sample events: nothing is stored or posted. */
  testRun: workspaceProcedure
    .input(
      z.object({
        id: flowId,
        events: z.array(z.unknown()).min(1, "Give at least one event").max(1000, "At most 1,000 events per test run"),
        closeWindows: z.boolean().default(true),
        document: flowDocumentInput.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const flow = await getFlow(ctx.db, ctx.workspaceId, input.id);
      const document = input.document ? checkFlow(input.document).document : flow.draft;
      return testRunFlow(ctx.db, ctx.workspaceId, document, input.events, input.closeWindows);
    }),

  list: workspaceProcedure.query(({ ctx }) => listFlows(ctx.db, ctx.workspaceId)),

  get: workspaceProcedure.input(z.object({ id: flowId })).query(async ({ ctx, input }) => {
    const flow = await getFlow(ctx.db, ctx.workspaceId, input.id);
    return { ...flow, problems: flowProblems(flow.draft).problems };
  }),

  create: workspaceProcedure.input(z.object({ document: flowDocumentInput })).mutation(async ({ ctx, input }) => {
    const { document } = checkFlow(input.document);
    return createFlow(ctx.db, { workspaceId: ctx.workspaceId, document, actor: ctx.actor });
  }),

  saveDraft: workspaceProcedure
    .input(z.object({ id: flowId, expectedRevision: z.number().int().positive(), document: flowDocumentInput }))
    .mutation(async ({ ctx, input }) => {
      const { document, problems } = checkFlow(input.document);
      const flow = await saveDraft(ctx.db, {
        workspaceId: ctx.workspaceId,
        flowId: input.id,
        document,
        expectedRevision: input.expectedRevision,
        actor: ctx.actor,
      });
      return { id: flow.id, revision: flow.revision, draftHash: flow.draftHash, updatedAt: flow.updatedAt, problems };
    }),
});
