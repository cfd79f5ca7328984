export { ingestEvents, type IngestResult, type IngestSummary } from "./ingest-events";
export { parseIngestRequest, type IngestMode, type ParsedIngestRequest } from "./parse-ingest-request";
export { createRateLimiter } from "./rate-limiter";
