import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { count, sql } from "drizzle-orm";
import {
  eventOutcome,
  eventProcessed,
  eventsRaw,
  eventStatus,
  openDatabase,
  usageRecords,
  type DatabaseHandle,
} from "@meterflow/db";
import { createThrowawayDatabase } from "@meterflow/db/testing";
import { describe, expect, it } from "vitest";
import { ingestEvents } from "../ingest-events";
import { createDispatcher, erpSandboxEndpoint } from "../outbox/dispatch-postings";
import { apiCall, countersAndRows, deployedBillingFlow, startSandbox, WORKSPACE } from "../testing/runtime-fixture";
import { closeDueWindows } from "./close-windows";

const workerScript = fileURLToPath(new URL("../testing/worker-process.ts", import.meta.url));
// tsx's loader inside the worker's own node process: the tsx command would run the worker as a
// child of its own, and a SIGKILL sent to the command would leave that child working on.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const NOW = "2026-11-01T03:00:00.000Z";
const TENANTS = { acme: "ERP-1001", globex: "ERP-1002", initech: "ERP-1003" } as const;

interface Where {
  name: string;
  env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  dispose(): Promise<void>;
}

async function locations(): Promise<Where[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "meterflow-crash-"));
  const cases: Where[] = [
    {
      name: "pglite",
      env: { MF_DATA_DIR: dataDir },
      open: () => openDatabase({ dataDir }),
      dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
    },
  ];
  if (process.env.DATABASE_URL) {
    const database = await createThrowawayDatabase(process.env.DATABASE_URL);
    cases.push({
      name: "postgres",
      env: { MF_DATABASE_URL: database.url },
      open: () => openDatabase({ databaseUrl: database.url }),
      dispose: database.drop,
    });
  }
  return cases;
}

/** Runs the worker process; with `killAfterBatches` it is SIGKILLed while working on the next batch. */
function runWorker(
  env: Record<string, string>,
  killAfterBatches?: number,
): Promise<{ batches: number; killed: boolean; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, workerScript], {
      env: { ...process.env, ...env, MF_NOW: NOW },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let batches = 0;
    let output = "";
    let errors = "";
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`worker still running after 60 s; it printed: ${output.slice(-500)} ${errors.slice(-500)}`));
    }, 60_000);
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      batches += (chunk.toString().match(/^batch /gm) ?? []).length;
      // Batches commit back to back, so a kill now lands inside the next one's transaction.
      if (killAfterBatches !== undefined && batches >= killAfterBatches) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(deadline);
      const pid = Number(/^pid (\d+)$/m.exec(output)?.[1]);
      if (signal === "SIGKILL") resolve({ batches, killed: true, pid });
      else if (code === 0) resolve({ batches, killed: false, pid });
      else reject(new Error(`worker exited with ${code}: ${errors}`));
    });
  });
}

function isRunning(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a runtime process killed with SIGKILL in the middle of a batch", async () => {
  for (const where of await locations()) {
    it(`accounts for every event exactly once after a restart, and the ERP holds exactly the expected lines (${where.name})`, {
      timeout: 120_000,
    }, async () => {
      // 600 events over three tenants in October, in shuffled order, plus 30 repeats.
      const events = Array.from({ length: 600 }, (_, i) =>
        apiCall(
          `e-${i}`,
          Object.keys(TENANTS)[i % 3]!,
          1000 * ((i % 7) + 1),
          new Date(Date.parse("2026-10-01T00:00:00Z") + ((i * 7919) % 600) * 3_600_000).toISOString(),
        ),
      );
      const expected = new Map<string, number>();
      for (const event of events)
        expected.set(event.data.tenantId, (expected.get(event.data.tenantId) ?? 0) + event.data.calls);

      let handle = await where.open();
      await deployedBillingFlow(handle.db);
      const shuffled = [...events].sort(
        (a, b) => ((Number(a.id.slice(2)) * 31) % 600) - ((Number(b.id.slice(2)) * 31) % 600),
      );
      for (let i = 0; i < shuffled.length; i += 100)
        await ingestEvents(handle.db, WORKSPACE, [...shuffled.slice(i, i + 100), ...events.slice(i / 20, i / 20 + 5)]);
      await handle.close();

      const crashed = await runWorker(where.env, 3);
      expect(crashed.killed).toBe(true);
      expect(crashed.pid).toBeGreaterThan(0);
      expect(isRunning(crashed.pid)).toBe(false); // the process that worked, not a wrapper, was killed
      handle = await where.open();
      const [{ processed } = { processed: 0 }] = await handle.db
        .select({ processed: count() })
        .from(eventsRaw)
        .where(eventProcessed);
      expect(processed).toBeGreaterThanOrEqual(3 * 25);
      expect(processed).toBeLessThan(600);
      await handle.close();

      const restarted = await runWorker(where.env);
      expect(restarted.killed).toBe(false);

      handle = await where.open();
      const sandbox = await startSandbox();
      try {
        const outcomes = await handle.db
          .select({ status: eventStatus, outcome: eventOutcome, count: count() })
          .from(eventsRaw)
          .groupBy(eventStatus, eventOutcome);
        expect(outcomes).toEqual([{ status: "processed", outcome: "validated", count: 600 }]);
        const records = await handle.db
          .select({
            tenant: usageRecords.tenantId,
            count: count(),
            quantity: sql<string>`sum(${usageRecords.quantity})::text`,
          })
          .from(usageRecords)
          .groupBy(usageRecords.tenantId)
          .orderBy(usageRecords.tenantId);
        expect(records).toEqual(
          [...expected].sort().map(([tenant, quantity]) => ({ tenant, count: 200, quantity: String(quantity) })),
        );
        // The killed batch's counts went with its rollback: the totals count each event and record once.
        expect(await countersAndRows(handle.db)).toEqual({
          counters: { rawEvents: 600, pendingEvents: 0, usageRecords: 600 },
          rows: { rawEvents: 600, pendingEvents: 0, usageRecords: 600 },
        });

        await closeDueWindows(handle.db, { now: new Date(NOW) });
        const dispatcher = createDispatcher(handle.db, {
          endpoints: { "erp-sandbox@1": { ...erpSandboxEndpoint(sandbox.baseUrl), ratePerSecond: 1000 } },
        });
        await dispatcher.tick();
        const lines = sandbox.store.invoices
          .flatMap((invoice) => invoice.lines.map((line) => `${invoice.customer} ${line.quantity} ${line.amount}`))
          .sort();
        expect(lines).toEqual(
          [...expected]
            .map(([tenant, quantity]) => {
              const billable = Math.max(0, quantity - 100_000);
              const cents = Math.min(billable, 1_000_000) * 0.1 + Math.max(0, billable - 1_000_000) * 0.08;
              return `${TENANTS[tenant as keyof typeof TENANTS]} ${billable} ${(Math.round(cents) / 100).toFixed(2)}`;
            })
            .sort(),
        );
      } finally {
        await sandbox.close();
        await handle.close();
        await where.dispose();
      }
    });
  }
});
