import { auditRouter } from "./router/audit";
import { flowsRouter } from "./router/flows";
import { healthRouter } from "./router/health";
import { referenceDataRouter } from "./router/reference-data";
import { runtimeRouter } from "./router/runtime";
import { templatesRouter } from "./router/templates";
import { versionsRouter } from "./router/versions";
import { router } from "./trpc";

export const appRouter = router({
  flows: flowsRouter,
  versions: versionsRouter,
  templates: templatesRouter,
  health: healthRouter,
  runtime: runtimeRouter,
  audit: auditRouter,
  referenceData: referenceDataRouter,
});

export type AppRouter = typeof appRouter;
