import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { appRouter, type Context } from "@meterflow/api";
import { DEFAULT_WORKSPACE, LOCAL_USER, type TemplateCatalog } from "@meterflow/runtime";
import { pingDatabase, type DatabaseHandle } from "@meterflow/db";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { ServerConfig } from "./config";
import { createIngestRoute } from "./ingest-route";
import { serveStatic } from "./static-files";

export interface HttpServerDeps {
  database: DatabaseHandle;
  templates: TemplateCatalog;
  webDist: string;
  ingest: ServerConfig["ingest"];
  /** The runtime in this process (absent in tests that only ingest); its metrics are served at /metrics. */
  runtime?: Context["runtime"];
  /** The ERP sandbox, mounted at /erp. */
  erpSandbox?: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

/** One HTTP server: /trpc, /v1/events, /healthz, /metrics, the ERP sandbox at /erp and the built designer. */
export function createHttpServer({
  database,
  templates,
  webDist,
  ingest,
  runtime,
  erpSandbox,
}: HttpServerDeps): Server {
  const metrics = runtime?.metrics;
  const ingestRoute = createIngestRoute(database.db, ingest, {
    onStored: () => runtime?.wake(),
    ...(runtime?.ingestActivity ? { activity: runtime.ingestActivity } : {}),
    ...(metrics ? { metrics } : {}),
  });
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    // Until API keys and sign-in land, every request acts as the single local user.
    createContext: (): Context => ({
      db: database.db,
      driver: database.driver,
      workspaceId: DEFAULT_WORKSPACE.id,
      actor: { ...LOCAL_USER, roles: [...LOCAL_USER.roles] },
      templates,
      ...(runtime ? { runtime } : {}),
    }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  });

  return createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://localhost").pathname;
    if (pathname.startsWith("/trpc/")) return trpc(request, response);
    if (pathname === "/v1/events") {
      ingestRoute(request, response).catch((error: unknown) => {
        console.error("ingestion failed:", error);
        if (!response.headersSent)
          sendJson(response, 500, {
            error: "The events could not be stored; nothing was acknowledged, retry the request",
          });
      });
      return;
    }
    if (erpSandbox && (pathname === "/erp" || pathname.startsWith("/erp/"))) {
      erpSandbox(request, response).catch((error: unknown) => {
        console.error("ERP sandbox request failed:", error);
        if (!response.headersSent) sendJson(response, 500, { error: "The ERP sandbox failed on this request" });
      });
      return;
    }
    if (pathname === "/healthz") {
      pingDatabase(database.db).then(
        () => sendJson(response, 200, { status: "ok", database: database.driver }),
        (error: Error) => sendJson(response, 503, { status: "unavailable", reason: `database: ${error.message}` }),
      );
      return;
    }
    if (metrics && pathname === "/metrics") {
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { "content-type": metrics.registry.contentType });
          response.end(text);
        },
        (error: Error) => sendJson(response, 503, { error: `The metrics could not be read: ${error.message}` }),
      );
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD")
      return sendJson(response, 405, { error: `${request.method} is not supported on ${pathname}` });
    serveStatic(webDist, request, response);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}
