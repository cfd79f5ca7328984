/**
 * How close to the COPY baseline any durable path can come on this machine: the same sender and
 * events as runtime.bench.ts, against floor-server.ts (raw events with their indexes, then a
 * usage row per event and monthly aggregates, nothing else) instead of Meterflow's server, and
 * the COPY baseline measured in the same run. Prints JSON. DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), EVENTS (default 300000).
 */
import { spawn } from "node:child_process";
import postgres from "postgres";
import { createThrowawayDatabase } from "@meterflow/db/testing";
import { BATCH, batchOf, copyBaseline, durablePhase } from "./bench-events";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const totalEvents = Number(process.env.EVENTS ?? 300_000);
const WARMUP_BATCHES = 20;

const database = await createThrowawayDatabase(serverUrl);
const sql = postgres(database.url, { max: 2, onnotice: () => {} });
const server = spawn(process.execPath, ["--import", "tsx", new URL("./floor-server.ts", import.meta.url).pathname], {
  env: { ...process.env, DATABASE_URL: database.url },
  stdio: ["ignore", "pipe", "inherit"],
});
try {
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on("data", (chunk: Buffer) => {
      const started = /floor server: (\S+)/.exec(chunk.toString())?.[1];
      if (started) resolve(started);
    });
    server.once("exit", (code) => reject(new Error(`the floor server exited with ${code}`)));
  });
  const send = async (body: string) => {
    const response = await fetch(url, { method: "POST", body });
    if (response.status !== 200) throw new Error(`the floor server answered ${response.status}`);
    await response.text();
  };
  const processedReaches = async (count: number) => {
    while (Number(await (await fetch(`${url}processed`)).text()) < count)
      await new Promise((resolve) => setTimeout(resolve, 5));
  };

  // A just-started process compiles its hot paths on the first requests.
  for (let b = 0; b < WARMUP_BATCHES; b += 1) await send(batchOf("warm", b * BATCH));
  await processedReaches(WARMUP_BATCHES * BATCH);

  const bodies = Array.from({ length: Math.ceil(totalEvents / BATCH) }, (_, b) => batchOf("run", b * BATCH));
  const { events, ingestedMs, durableMs, cpuMicrosPerEvent } = await durablePhase(server.pid!, bodies, send, () =>
    processedReaches(WARMUP_BATCHES * BATCH + bodies.length * BATCH),
  );
  const [stored] = await sql<
    { raw: number; usage: number }[]
  >`select (select count(*) from raw)::int as raw, (select count(*) from usage)::int as usage`;
  if (stored!.raw !== WARMUP_BATCHES * BATCH + events || stored!.usage !== stored!.raw)
    throw new Error(`the floor server stored ${stored!.raw} raw events and ${stored!.usage} usage rows`);

  const { copyMs, copyRuns } = await copyBaseline(sql, bodies);
  const floorPerSecond = Math.round(events / (durableMs / 1000));
  const copyPerSecond = Math.round(events / (copyMs / 1000));
  console.log(
    JSON.stringify(
      {
        benchmark:
          "floor: the least durable path (raw events with their indexes, usage rows, aggregates) over HTTP, against COPY",
        events,
        batch: BATCH,
        floor: {
          eventsPerSecond: floorPerSecond,
          ingestOnlyEventsPerSecond: Math.round(events / (ingestedMs / 1000)),
          cpuMicrosPerEvent,
        },
        copyBaseline: {
          eventsPerSecond: copyPerSecond,
          runsEventsPerSecond: copyRuns.map((ms) => Math.round(events / (ms / 1000))),
        },
        ratio: +(floorPerSecond / copyPerSecond).toFixed(3),
      },
      null,
      2,
    ),
  );
} finally {
  server.kill();
  await sql.end();
  await database.drop();
}
