import { listApiKeys } from "@meterflow/db";
import { router, workspaceProcedure } from "../trpc";

export const apiKeysRouter = router({
  /** The workspace's API keys; the key created at first start is shown in full so a newcomer can use it. */
  list: workspaceProcedure.query(async ({ ctx }) => {
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
});
