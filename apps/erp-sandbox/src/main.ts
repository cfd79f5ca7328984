import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSandboxHandler } from "./sandbox-http";
import { SandboxStore } from "./sandbox-store";

/** Runs the ERP sandbox alone: PORT (default 4100), ERP_SANDBOX_DATA_FILE to keep its books in a file. */
const port = Number(process.env.PORT ?? 4100);
const store = new SandboxStore(
  process.env.ERP_SANDBOX_DATA_FILE ? { dataFile: process.env.ERP_SANDBOX_DATA_FILE } : {},
);
const handle = createSandboxHandler(store);
const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    console.error("ERP sandbox request failed:", error);
    if (!response.headersSent) response.writeHead(500).end();
  });
});
server.listen(port, process.env.HOST ?? "127.0.0.1", () => {
  console.log(`ERP sandbox: http://localhost:${(server.address() as AddressInfo).port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.close(() => process.exit(0)));
