import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DatabaseStartupError, ensureLocalApiKey, openDatabase } from "@meterflow/db";
import { createSandboxHandler, SandboxStore } from "@meterflow/erp-sandbox";
import {
  DEFAULT_WORKSPACE,
  loadDemoReferenceData,
  loadTemplateCatalog,
  seedWorkspace,
  createIngestActivity,
  createRuntimeMetrics,
  erpSandboxEndpoint,
  erpSandboxLookup,
  startNatsFrontDoor,
  startRuntime,
} from "@meterflow/runtime";
import { loadConfig } from "./config";
import { createHttpServer } from "./http-server";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(
    config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir },
  );
  const templates = loadTemplateCatalog(config.templatesDir);
  const { seededFlowId } = await seedWorkspace(
    database.db,
    templates,
    "metered-api-billing",
    loadDemoReferenceData(config.templatesDir),
  );

  const apiKey = await ensureLocalApiKey(database.db, DEFAULT_WORKSPACE.id);
  // The built-in ERP sandbox keeps its books next to the database, so invoices survive a restart.
  const erpSandbox = config.erpUrl
    ? undefined
    : createSandboxHandler(new SandboxStore({ dataFile: join(config.dataDir, "erp-sandbox.json") }), {
        prefix: "/erp",
      });
  let erpUrl = config.erpUrl;
  let runtime: ReturnType<typeof startRuntime> | undefined;
  const ingestActivity = createIngestActivity();
  const metrics = createRuntimeMetrics(database.db);
  const runtimeContext = {
    wake: () => runtime?.notify(),
    ingestActivity,
    erp: (key: string) => erpSandboxLookup(erpUrl!)(key),
    erpPageUrl: config.erpUrl ?? "/erp/",
    metrics,
  };
  const server = createHttpServer({
    database,
    templates,
    webDist: config.webDist,
    ingest: config.ingest,
    runtime: runtimeContext,
    ...(erpSandbox ? { erpSandbox } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  erpUrl ??= `http://${config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host}:${port}/erp`;
  if (config.runtime)
    runtime = startRuntime(database.db, {
      endpoints: { "erp-sandbox@1": erpSandboxEndpoint(erpUrl) },
      workers: config.workers,
      ingest: ingestActivity,
      metrics,
    });
  const natsFrontDoor = config.nats
    ? await startNatsFrontDoor(database.db, {
        ...config.nats,
        onStored: () => runtime?.notify(),
        onIngested: (summary) => metrics.ingested(summary),
      }).catch((error: Error) => {
        throw new Error(
          `Invalid configuration METERFLOW_NATS_URL: cannot take events from NATS JetStream at ${config.nats!.url} (${error.message})`,
        );
      })
    : undefined;
  console.log(`Meterflow designer: http://${host}:${port}/`);
  console.log(
    `  database: ${database.location}${seededFlowId ? " (first start: seeded the metered-api-billing flow)" : ""}`,
  );
  console.log(`  templates: ${templates.map((template) => template.id).join(", ")}`);
  console.log(
    `  runtime: ${config.runtime ? "processing events, closing windows, posting to" : "off; postings would go to"} ${erpUrl}${erpSandbox ? ` (the built-in ERP sandbox: http://${host}:${port}/erp/)` : ""}`,
  );
  if (natsFrontDoor)
    console.log(
      `  NATS front door: stream ${natsFrontDoor.stream} on ${config.nats!.url}, events published on ${natsFrontDoor.subjects}`,
    );
  if (apiKey) {
    console.log(`  API key${apiKey.created ? " (created now; also shown in the designer)" : ""}: ${apiKey.key}`);
    console.log(`  send events: POST http://${host}:${port}/v1/events with 'Authorization: Bearer ${apiKey.key}'`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing the current batch and open requests, then stopping`);
    // The front door and the runtime first: the dispatcher may be calling this server's ERP sandbox.
    await natsFrontDoor?.stop();
    await runtime?.stop();
    const force = setTimeout(() => server.closeAllConnections(), 5_000).unref();
    server.close(async () => {
      clearTimeout(force);
      await database.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  // Startup problems are explained in one line; a stack trace only for the unexpected.
  if (
    error instanceof DatabaseStartupError ||
    (error instanceof Error && /^(Invalid configuration|Template )/.test(error.message))
  ) {
    console.error(`Meterflow cannot start: ${error.message}`);
  } else if (error instanceof Error && (error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    console.error(`Meterflow cannot start: the port is already in use (${error.message}); set PORT to a free port`);
  } else {
    console.error("Meterflow cannot start:", error);
  }
  process.exit(1);
});
