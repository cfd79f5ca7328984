import { pingDatabase } from "@meterflow/db";
import { publicProcedure, router } from "../trpc";

export const healthRouter = router({
  check: publicProcedure.query(async ({ ctx }) => {
    await pingDatabase(ctx.db);
    return { status: "ok" as const, database: ctx.driver, templates: ctx.templates.length };
  }),
});
