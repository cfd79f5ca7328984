import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Starts the real server on a free port (PORT=0) with a fresh PGlite data folder, and hands
 * its URL to the tests through E2E_BASE_URL. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), "meterflow-e2e-"));
  const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", METERFLOW_DATA_DIR: dataDir };
  delete env.DATABASE_URL; // a fresh embedded database for every run
  const server = spawn(process.execPath, [tsxCli, join(repoRoot, "apps/server/src/main.ts")], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });

  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Meterflow designer: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.once("exit", (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
  process.env.E2E_BASE_URL = url;
  // One month for the whole suite: journeys that each read the clock would disagree if the suite
  // ran across a month's end (the month's windows stay open for their grace period after it).
  process.env.E2E_MONTH = new Date().toISOString().slice(0, 7);

  return async () => {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
}
