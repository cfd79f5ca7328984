export { createIngestActivity, type IngestActivity } from "./ingest-activity";
export { ingestEvents, type IngestResult, type IngestSummary } from "./ingest-events";
export { createKeyAuthenticator } from "./key-authenticator";
export { parseIngestRequest, type IngestMode, type ParsedIngestRequest } from "./parse-ingest-request";
export { createRateLimiter } from "./rate-limiter";
export { createDispatcher, erpSandboxEndpoint, type Endpoint, type EndpointRegistry } from "./outbox/dispatch-postings";
export { closeDueWindows, countOpenWindows, listOpenWindows } from "./processing/close-windows";
export { deployVersion, listDeployments, stopDeployment } from "./processing/deployments";
export { processNextBatch } from "./processing/process-events";
export { referenceDataOf } from "./processing/partition-run";
export { ApprovalForbiddenError, decideApproval, listApprovals } from "./operations/approvals";
export { listExceptions, resolveExceptions, retryExceptions, RetryRefusedError } from "./operations/exceptions";
export { erpSandboxLookup, reconcile, type ErpLookup } from "./operations/reconcile";
export { replayEvents } from "./operations/replay";
export { tracePosting } from "./operations/trace-posting";
export { latestUsageRecords } from "./operations/usage-records";
export { startRuntime } from "./runtime-service";
export { createRuntimeMetrics, type RuntimeMetrics } from "./metrics";
export { workspaceCounts } from "./operations/workspace-counts";
export { startNatsFrontDoor, type NatsFrontDoorOptions } from "./nats-front-door";
export { testRunFlow } from "./operations/test-run";
export { DEFAULT_WORKSPACE, LOCAL_USER, seedWorkspace } from "./seed-workspace";
export {
  loadDemoReferenceData,
  loadTemplateCatalog,
  type FlowTemplate,
  type TemplateCatalog,
} from "./templates/template-catalog";
