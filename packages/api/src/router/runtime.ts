import { countRawEvents, listApiKeys } from "@meterflow/db";
import { ingestEvents } from "@meterflow/runtime";
import { z } from "zod";
import { router, workspaceProcedure } from "../trpc";

export const runtimeRouter = router({
  /** The workspace's API keys; the key created at first start is shown in full so a newcomer can use it. */
  apiKeys: workspaceProcedure.query(async ({ ctx }) => {
    const keys = await listApiKeys(ctx.db, ctx.workspaceId);
    return keys.map((key) => ({ id: key.id, name: key.name, prefix: key.prefix, key: key.key ?? null, createdAt: key.createdAt, revoked: key.revokedAt !== null }));
  }),

  /** The same ingestion as POST /v1/events, for typed callers. */
  ingest: workspaceProcedure
    .input(z.object({ events: z.array(z.unknown()).min(1, "Send at least one event").max(1000, "At most 1,000 events per call") }))
    .mutation(({ ctx, input }) => ingestEvents(ctx.db, ctx.workspaceId, input.events)),

  stats: workspaceProcedure.query(async ({ ctx }) => ({ rawEvents: await countRawEvents(ctx.db, ctx.workspaceId) })),
});
