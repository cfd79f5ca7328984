/** What the runtime benches share: the events they send, CPU readings and the COPY baseline. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type postgres from "postgres";

export const BATCH = 1_000;
const TENANTS = ["acme", "globex", "initech"];

/** Event times from the start of this month on: their windows stay open during the run. */
const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);

/** A CloudEvents batch (JSON text) of metered API calls spread over three tenants. */
export function batchOf(prefix: string, start: number, size = BATCH): string {
  const events = [];
  for (let i = start; i < start + size; i += 1) {
    events.push({
      specversion: "1.0",
      id: `${prefix}-${i}`,
      source: "/bench",
      type: "com.meterflow.api.call",
      time: new Date(monthStart + (i % 1_000_000) * 1000).toISOString(),
      data: { tenantId: TENANTS[i % 3], productCode: "api-calls", calls: (i % 50) + 1 },
    });
  }
  return JSON.stringify(events);
}

/**
 * CPU time (user + system, in µs) of the processes `pids` names, read from /proc: where the
 * durable phase's time goes (the server, PostgreSQL, this sender). Undefined off Linux.
 */
function cpuMicros(pids: () => number[]): number | undefined {
  try {
    const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString());
    let ticks = 0;
    for (const pid of pids()) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // the process ended in between
      }
    }
    return (ticks / ticksPerSecond) * 1e6;
  } catch {
    return undefined;
  }
}

/** PostgreSQL's processes on this machine (backends and background workers), by their titles. */
function postgresPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("postgres");
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The durable phase both benches measure: 4 senders send the bodies as fast as acknowledgements
 * come back, then `drained` waits until every event is processed. Returns the time to the last
 * acknowledgement and to the end, and the CPU time per event of the server, PostgreSQL and this
 * sender over the phase.
 */
export async function durablePhase(
  serverPid: number,
  bodies: readonly string[],
  send: (body: string) => Promise<unknown>,
  drained: () => Promise<void>,
) {
  const events = bodies.length * BATCH;
  const cpuAtStart = {
    server: cpuMicros(() => [serverPid]),
    postgres: cpuMicros(postgresPids),
    sender: process.cpuUsage(),
  };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) await send(bodies[next++]!);
    }),
  );
  const ingestedMs = performance.now() - started;
  await drained();
  const durableMs = performance.now() - started;
  const senderCpu = process.cpuUsage(cpuAtStart.sender);
  const perEvent = (micros: number | undefined, from: number | undefined) =>
    micros === undefined || from === undefined ? null : +((micros - from) / events).toFixed(1);
  const cpuMicrosPerEvent = {
    server: perEvent(
      cpuMicros(() => [serverPid]),
      cpuAtStart.server,
    ),
    postgres: perEvent(cpuMicros(postgresPids), cpuAtStart.postgres),
    sender: perEvent(senderCpu.user + senderCpu.system, 0),
  };
  return { events, ingestedMs, durableMs, cpuMicrosPerEvent };
}

/**
 * The physical baseline: COPY of the same events into a bare table. Three runs, each into a fresh
 * table, and the median: one COPY of 100k events takes under half a second, and single runs on
 * this machine varied by a quarter.
 */
export async function copyBaseline(
  sql: postgres.Sql,
  bodies: readonly string[],
): Promise<{ copyMs: number; copyRuns: number[] }> {
  const lines = bodies.flatMap((body) =>
    (JSON.parse(body) as { id: string; source: string }[]).map(
      (event) => `${event.source}\t${event.id}\t${JSON.stringify(event).replace(/\\/g, "\\\\")}\n`,
    ),
  );
  const copyOnce = async (table: string) => {
    await sql`create table ${sql(table)} (source text, event_id text, envelope jsonb)`;
    const copyStarted = performance.now();
    const writable = await sql`copy ${sql(table)} from stdin`.writable();
    await new Promise<void>((resolve, reject) => {
      writable.on("error", reject);
      writable.on("finish", resolve);
      let i = 0;
      const pump = () => {
        while (i < lines.length) if (!writable.write(lines[i++])) return void writable.once("drain", pump);
        writable.end();
      };
      pump();
    });
    return performance.now() - copyStarted;
  };
  const copyRuns: number[] = [];
  for (const table of ["copy_baseline_1", "copy_baseline_2", "copy_baseline_3"]) copyRuns.push(await copyOnce(table));
  return { copyMs: [...copyRuns].sort((a, b) => a - b)[1]!, copyRuns };
}
