/**
 * A runtime worker as its own process, for the crash test: processes pending events in small
 * batches and prints "pid <pid>" first, "batch <n> <events>" after each commit, then "idle"
 * when nothing is left.
 * MF_DATABASE_URL (PostgreSQL) or MF_DATA_DIR (PGlite) says where; MF_NOW fixes the clock.
 */
import { openDatabase } from "@meterflow/db";
import { processNextBatch } from "../processing/process-events";

const handle = await openDatabase(
  process.env.MF_DATABASE_URL ? { databaseUrl: process.env.MF_DATABASE_URL } : { dataDir: process.env.MF_DATA_DIR! },
);
process.stdout.write(`pid ${process.pid}\n`);
const now = new Date(process.env.MF_NOW ?? Date.now());
let batches = 0;
for (;;) {
  const report = await processNextBatch(handle.db, {
    batchSize: Number(process.env.MF_BATCH_SIZE ?? 25),
    now: () => now,
  });
  if (!report) break;
  batches += 1;
  process.stdout.write(`batch ${batches} ${report.events}\n`);
}
process.stdout.write("idle\n");
await handle.close();
