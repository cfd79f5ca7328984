import type { AddressInfo } from "node:net";
import { DEFAULT_WORKSPACE, loadDemoReferenceData, loadTemplateCatalog, seedWorkspace } from "@meterflow/api";
import { DatabaseStartupError, ensureLocalApiKey, openDatabase } from "@meterflow/db";
import { loadConfig } from "./config";
import { createHttpServer } from "./http-server";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
  const templates = loadTemplateCatalog(config.templatesDir);
  const { seededFlowId } = await seedWorkspace(database.db, templates, "metered-api-billing", loadDemoReferenceData(config.templatesDir));

  const apiKey = await ensureLocalApiKey(database.db, DEFAULT_WORKSPACE.id);
  const server = createHttpServer({ database, templates, webDist: config.webDist, ingest: config.ingest });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  console.log(`Meterflow designer: http://${host}:${port}/`);
  console.log(`  database: ${database.location}${seededFlowId ? " (first start: seeded the metered-api-billing flow)" : ""}`);
  console.log(`  templates: ${templates.map((template) => template.id).join(", ")}`);
  if (apiKey) {
    console.log(`  API key${apiKey.created ? " (created now; also shown in the designer)" : ""}: ${apiKey.key}`);
    console.log(`  send events: POST http://${host}:${port}/v1/events with 'Authorization: Bearer ${apiKey.key}'`);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing open requests, then stopping`);
    const force = setTimeout(() => server.closeAllConnections(), 5_000).unref();
    server.close(async () => {
      clearTimeout(force);
      await database.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  // Startup problems are explained in one line; a stack trace only for the unexpected.
  if (error instanceof DatabaseStartupError || (error instanceof Error && /^(Invalid configuration|Template )/.test(error.message))) {
    console.error(`Meterflow cannot start: ${error.message}`);
  } else if (error instanceof Error && (error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    console.error(`Meterflow cannot start: the port is already in use (${error.message}); set PORT to a free port`);
  } else {
    console.error("Meterflow cannot start:", error);
  }
  process.exit(1);
});
