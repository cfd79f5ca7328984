import { createFlow } from "@meterflow/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const templatesRouter = router({
  list: workspaceProcedure.query(({ ctx }) =>
    ctx.templates.map((template) => ({
      id: template.id,
      name: template.document.metadata.name,
      description: template.document.metadata.description,
      tags: template.document.metadata.tags,
      nodeCount: template.document.nodes.length,
      edgeCount: template.document.edges.length,
      sampleEvents: template.sampleEvents,
      document: template.document,
    })),
  ),

  instantiate: workspaceProcedure
    .input(z.object({ templateId: z.string().min(1), name: z.string().trim().min(1).max(120).optional() }))
    .mutation(async ({ ctx, input }) => {
      const template = ctx.templates.find((candidate) => candidate.id === input.templateId);
      if (!template) {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `No template "${input.templateId}"; available: ${ctx.templates.map((t) => t.id).join(", ") || "none"}`,
        });
      }
      const document = structuredClone(template.document);
      if (input.name) document.metadata.name = input.name;
      return createFlow(ctx.db, {
        workspaceId: ctx.workspaceId,
        document,
        actor: ctx.actor,
        templateId: template.id,
      });
    }),
});
