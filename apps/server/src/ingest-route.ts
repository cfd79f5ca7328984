import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "@meterflow/db";
import {
  createIngestActivity,
  createKeyAuthenticator,
  createRateLimiter,
  ingestEvents,
  parseIngestRequest,
  type IngestActivity,
  type RuntimeMetrics,
} from "@meterflow/runtime";
import type { ServerConfig } from "./config";

export interface IngestRouteOptions {
  /** Called when events were stored: the runtime processes them now rather than at its next poll. */
  onStored?: () => void;
  activity?: IngestActivity;
  /** Counts requests, their latency and the events they carried (served at /metrics). */
  metrics?: RuntimeMetrics;
}

/** `POST /v1/events`: CloudEvents in structured, batch or binary mode, per workspace API key. */
export function createIngestRoute(
  db: Database,
  limits: ServerConfig["ingest"],
  { onStored = () => {}, activity = createIngestActivity(), metrics }: IngestRouteOptions = {},
) {
  const limiter = createRateLimiter({ perSecond: limits.eventsPerSecond, burst: limits.burst });
  const authenticate = createKeyAuthenticator(db);

  return (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (metrics) {
      const answered = metrics.ingestRequestStarted();
      response.once("finish", () => answered(response.statusCode));
    }
    return activity.track(() => handle(request, response));
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== "POST")
      return reply(response, 405, { error: "Send events with POST /v1/events" }, { allow: "POST" });
    const key = apiKeyOf(request);
    if (!key)
      return reply(response, 401, {
        error:
          "Missing API key: send it as 'Authorization: Bearer mf_…' (or an x-api-key header); the designer shows yours",
      });
    const body = await readBody(request, limits.maxBodyBytes);
    if (body === undefined)
      return reply(response, 413, {
        error: `The body is larger than the ${limits.maxBodyBytes}-byte limit (METERFLOW_MAX_BODY_BYTES); split it into smaller batches`,
      });
    const caller = await authenticate(key);
    if (!caller) return reply(response, 401, { error: "Unknown or revoked API key" });

    const parsed = parseIngestRequest(request.headers["content-type"], request.headers, body);
    if (!parsed.ok) return reply(response, parsed.status, { error: parsed.message });
    if (parsed.events.length > limits.maxBatchEvents) {
      return reply(response, 413, {
        error: `A batch of ${parsed.events.length} events exceeds the limit of ${limits.maxBatchEvents} (METERFLOW_MAX_BATCH_EVENTS)`,
      });
    }
    const allowed = limiter.take(caller.keyId, Math.max(1, parsed.events.length));
    if (!allowed.ok) {
      return reply(
        response,
        429,
        {
          error: `Rate limit of ${limits.eventsPerSecond} events/s for this key exceeded; retry after ${allowed.retryAfterSeconds} s`,
        },
        { "retry-after": String(allowed.retryAfterSeconds) },
      );
    }
    const summary = await ingestEvents(db, caller.workspaceId, parsed.events);
    metrics?.ingested(summary);
    if (summary.stored > 0) onStored();
    // A single structured/binary event that is invalid is a client error; batches answer per event.
    const status = parsed.mode !== "batch" && summary.invalid === 1 ? 400 : 200;
    reply(response, status, { mode: parsed.mode, ...summary });
  }
}

function apiKeyOf(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization?.toLowerCase().startsWith("bearer ")) return authorization.slice(7).trim();
  const header = request.headers["x-api-key"];
  return Array.isArray(header) ? header[0] : header;
}

/** The body as text, or undefined when it exceeds the limit (the rest is drained, not buffered). */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}
