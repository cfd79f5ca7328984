import { apiKeysRouter } from "./router/api-keys";
import { approvalsRouter } from "./router/approvals";
import { auditRouter } from "./router/audit";
import { deploymentsRouter } from "./router/deployments";
import { eventsRouter } from "./router/events";
import { exceptionsRouter } from "./router/exceptions";
import { flowsRouter } from "./router/flows";
import { healthRouter } from "./router/health";
import { lineageRouter } from "./router/lineage";
import { overviewRouter } from "./router/overview";
import { postingsRouter } from "./router/postings";
import { reconciliationRouter } from "./router/reconciliation";
import { referenceDataRouter } from "./router/reference-data";
import { replayRouter } from "./router/replay";
import { templatesRouter } from "./router/templates";
import { usageRecordsRouter } from "./router/usage-records";
import { versionsRouter } from "./router/versions";
import { windowsRouter } from "./router/windows";
import { router } from "./trpc";

export const appRouter = router({
  flows: flowsRouter,
  versions: versionsRouter,
  templates: templatesRouter,
  health: healthRouter,
  overview: overviewRouter,
  events: eventsRouter,
  usageRecords: usageRecordsRouter,
  windows: windowsRouter,
  postings: postingsRouter,
  exceptions: exceptionsRouter,
  approvals: approvalsRouter,
  replay: replayRouter,
  reconciliation: reconciliationRouter,
  deployments: deploymentsRouter,
  apiKeys: apiKeysRouter,
  lineage: lineageRouter,
  audit: auditRouter,
  referenceData: referenceDataRouter,
});

export type AppRouter = typeof appRouter;
