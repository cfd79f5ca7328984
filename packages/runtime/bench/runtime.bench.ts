/**
 * Durable throughput, end to end, on the local PostgreSQL: the real server (ingestion + runtime)
 * runs as its own process on a throwaway database; this process sends CloudEvents batches of
 * 1,000 over HTTP and measures (1) acknowledgement latency at a fixed offered rate (default 5,000
 * events/s, open loop), (2) sustained events/s from the first request until every event is a
 * committed usage record and in an aggregate, and (3) in the same run, the raw COPY rate of the
 * same events into a bare table (the median of three runs): the physical baseline. Prints JSON,
 * with the CPU time per event of the server, PostgreSQL and this sender in the durable phase.
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), EVENTS (default 300000: runs
 * of 100,000 lasted under 3 s and varied by a tenth),
 * RATE (offered events/s for the latency phase, default 5000), SECONDS (its length, default 10;
 * longer where a request size needs it for MIN_REQUESTS, default 200: a p99 of fewer than 200
 * requests is their slowest one), WARMUP_SECONDS (the same load, unmeasured, before it; default 3).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createThrowawayDatabase } from "@meterflow/db/testing";
import { BATCH, batchOf, copyBaseline, durablePhase } from "./bench-events";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const totalEvents = Number(process.env.EVENTS ?? 300_000);
const offeredRate = Number(process.env.RATE ?? 5_000);
const latencySeconds = Number(process.env.SECONDS ?? 10);
const warmupSeconds = Number(process.env.WARMUP_SECONDS ?? 3);
const minRequests = Number(process.env.MIN_REQUESTS ?? 200);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

async function startServer(
  databaseUrl: string,
): Promise<{ url: string; key: string; pid: number; stop(): Promise<void> }> {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: "0",
    METERFLOW_INGEST_RATE: "10000000",
    METERFLOW_INGEST_BURST: "10000000",
  };
  // tsx as a loader in the server's own process (not its CLI, which runs the server in a child), so its CPU time is this pid's.
  const child = spawn(process.execPath, ["--import", "tsx", `${repoRoot}apps/server/src/main.ts`], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const started = await new Promise<{ url: string; key: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Meterflow designer: (http:\/\/\S+)/.exec(output)?.[1];
      const key = /API key[^:]*: (mf_\S+)/.exec(output)?.[1];
      if (url && key) {
        clearTimeout(timer);
        resolve({ url, key });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    ...started,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function send(url: string, key: string, body: string, size = BATCH): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/cloudevents-batch+json" },
    body,
  });
  const answer = (await response.json()) as { stored?: number; error?: string };
  if (response.status !== 200 || answer.stored !== size)
    throw new Error(`ingestion answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
  return performance.now() - started;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Every acknowledged event is processed once no partition's head is beyond its cursor. */
async function waitProcessed(sql: postgres.Sql): Promise<void> {
  for (;;) {
    const [row] = await sql<
      { pending: boolean }[]
    >`select exists (select 1 from runtime_partitions where (head_xid, head_seq) > (cursor_xid, cursor_seq)) as pending`;
    if (!row!.pending) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const database = await createThrowawayDatabase(serverUrl);
const sql = postgres(database.url, { max: 2, onnotice: () => {} });
const server = await startServer(database.url);
try {
  // 1. Acknowledgement latency at the offered rate, open loop: a request every size/rate seconds,
  // with batches of 100 events (what SDKs send) and of 1,000. Each starts with WARMUP_SECONDS of
  // the same load, unmeasured (a just-started server compiles its hot paths on the first
  // requests); the very first request's latency is reported on its own.
  let offered = 0;
  let firstRequestAfterStart: number | undefined;
  const latencyAt = async (size: number) => {
    const intervalMs = (size / offeredRate) * 1000;
    const offer = async (prefix: string, requests: number) => {
      const latencies: number[] = [];
      const inFlight: Promise<void>[] = [];
      const phaseStart = performance.now();
      for (let b = 0; b < requests; b += 1) {
        const due = phaseStart + b * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        inFlight.push(
          send(server.url, server.key, batchOf(prefix, b * size, size), size).then((ms) => void (latencies[b] = ms)),
        );
      }
      await Promise.all(inFlight);
      offered += requests * size;
      return latencies;
    };
    const warmup = await offer(`warm${size}`, Math.max(1, Math.round((offeredRate * warmupSeconds) / size)));
    firstRequestAfterStart ??= warmup[0];
    const latencies = await offer(
      `lat${size}`,
      Math.max(minRequests, Math.round((offeredRate * latencySeconds) / size)),
    );
    return {
      eventsPerRequest: size,
      requests: latencies.length,
      p50: +percentile(latencies, 50).toFixed(1),
      p99: +percentile(latencies, 99).toFixed(1),
      max: +Math.max(...latencies).toFixed(1),
    };
  };
  const latencyBySize = [await latencyAt(1_000), await latencyAt(100)];
  await waitProcessed(sql);

  // 2. Sustained durable throughput: 4 senders as fast as acknowledgements come back.
  const bodies = Array.from({ length: Math.ceil(totalEvents / BATCH) }, (_, b) => batchOf("run", b * BATCH));
  const { ingestedMs, durableMs, cpuMicrosPerEvent } = await durablePhase(
    server.pid,
    bodies,
    (body) => send(server.url, server.key, body),
    () => waitProcessed(sql),
  );
  const [windows] = await sql<
    { events: number }[]
  >`select (select coalesce(sum((state->>'count')::int), 0) from runtime_windows) + (select coalesce(sum(event_count), 0) from usage_summaries) as events`;
  if (Number(windows!.events) !== offered + bodies.length * BATCH)
    throw new Error(`aggregates hold ${windows!.events} events, ${offered + bodies.length * BATCH} were sent`);

  // 3. The physical baseline: COPY of the same events into a bare table.
  const { copyMs, copyRuns } = await copyBaseline(sql, bodies);

  const events = bodies.length * BATCH;
  const durablePerSecond = Math.round(events / (durableMs / 1000));
  const copyPerSecond = Math.round(events / (copyMs / 1000));
  console.log(
    JSON.stringify(
      {
        benchmark:
          "runtime: HTTP ingestion -> committed usage records and aggregates (metered-api-billing, local PostgreSQL)",
        events,
        batch: BATCH,
        durable: {
          eventsPerSecond: durablePerSecond,
          seconds: +(durableMs / 1000).toFixed(2),
          ingestOnlyEventsPerSecond: Math.round(events / (ingestedMs / 1000)),
          eventsInAggregates: Number(windows!.events),
          cpuMicrosPerEvent,
        },
        ackLatencyMs: {
          offeredEventsPerSecond: offeredRate,
          warmupSeconds,
          firstRequestAfterStart: +firstRequestAfterStart!.toFixed(1),
          bySize: latencyBySize,
        },
        copyBaseline: {
          eventsPerSecond: copyPerSecond,
          seconds: +(copyMs / 1000).toFixed(2),
          runsEventsPerSecond: copyRuns.map((ms) => Math.round(events / (ms / 1000))),
        },
        ratio: +(durablePerSecond / copyPerSecond).toFixed(3),
        target: { ratio: 0.3, p99Ms: 50 },
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
  await sql.end();
  await database.drop();
}
