/**
 * The floor bench's server: the least work the durable path has to do, without Meterflow. It takes
 * the same CloudEvents batches over HTTP, checks the attributes every event needs, COPYs the raw
 * events into a table with the indexes events_raw must have (the sequence, the (workspace, id,
 * source) dedupe key, the partition order), acknowledges, and then, in one transaction, COPYs a
 * usage row per event (keyed by the event) and adds the batch to per-tenant monthly aggregates.
 * No engine, no cursors, no lineage, no state read back: every cost here the runtime pays too.
 * A repeated event fails its whole request (the bench sends none). `GET /processed` counts the
 * events whose usage rows have committed.
 */
import { createServer } from "node:http";
import { connect, type Socket } from "node:net";
import postgres from "postgres";

/**
 * Nagle's algorithm off: COPY ends with a small CopyDone after the data, which otherwise waits
 * for the server's delayed acknowledgement (up to 40 ms a request on Linux). The runtime's
 * queries go out in one write each and do not need this (measured: no difference).
 */
const withoutDelay = ({
  host: [host],
  port: [port],
  path,
}: {
  host: string[];
  port: number[];
  path?: string | false;
}) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(path ? { path, noDelay: true } : { host, port: port ?? 5432, noDelay: true }, () => {
      socket.removeListener("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
const sql = postgres(process.env.DATABASE_URL!, { max: 8, onnotice: () => {}, socket: withoutDelay } as NonNullable<
  Parameters<typeof postgres>[1]
>);

await sql.unsafe(`
  create table raw (seq bigint generated always as identity primary key, workspace_id text collate "C", source text collate "C", event_id text collate "C",
    partition_key text collate "C", time timestamptz, envelope json);
  create unique index raw_dedupe on raw (workspace_id, event_id, source);
  create index raw_partition_order on raw (workspace_id, partition_key, seq);
  create table usage (workspace_id text collate "C", source text collate "C", event_id text collate "C", tenant_id text collate "C",
    metric text, period text, quantity numeric, primary key (workspace_id, event_id, source));
  create table aggregates (workspace_id text, tenant_id text, period text, quantity numeric, events bigint, primary key (workspace_id, tenant_id, period));`);

interface BenchEvent {
  specversion: string;
  id: string;
  source: string;
  time: string;
  data: { tenantId: string; calls: number };
}

const copyField = (text: string) =>
  text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

/** COPY on a connection of its own: postgres.js pipelines queries, which a COPY must not share. */
async function copyInto(connection: postgres.ReservedSql, statement: string, rows: string): Promise<void> {
  const writable = await connection.unsafe(statement).writable();
  await new Promise<void>((resolve, reject) => {
    writable.on("error", reject);
    writable.on("finish", resolve);
    writable.write(rows);
    writable.end();
  });
}

async function storeRaw(events: BenchEvent[]): Promise<void> {
  let rows = "";
  for (const event of events) {
    if (
      event.specversion !== "1.0" ||
      typeof event.id !== "string" ||
      typeof event.source !== "string" ||
      typeof event.data?.tenantId !== "string"
    ) {
      throw new Error(`event ${JSON.stringify(event).slice(0, 100)} lacks a required attribute`);
    }
    rows += `default\t${copyField(event.source)}\t${copyField(event.id)}\t${copyField(event.data.tenantId)}\t${event.time}\t${copyField(JSON.stringify(event))}\n`;
  }
  const connection = await sql.reserve();
  try {
    await copyInto(
      connection,
      "copy raw (workspace_id, source, event_id, partition_key, time, envelope) from stdin",
      rows,
    );
  } finally {
    connection.release();
  }
}

async function recordUsage(events: BenchEvent[]): Promise<void> {
  let rows = "";
  const totals = new Map<string, { tenant_id: string; period: string; quantity: number; events: number }>();
  for (const event of events) {
    const period = event.time.slice(0, 7);
    rows += `default\t${copyField(event.source)}\t${copyField(event.id)}\t${copyField(event.data.tenantId)}\tapi_calls\t${period}\t${event.data.calls}\n`;
    const key = `${event.data.tenantId}\u0000${period}`;
    const total = totals.get(key) ?? { tenant_id: event.data.tenantId, period, quantity: 0, events: 0 };
    total.quantity += event.data.calls;
    total.events += 1;
    totals.set(key, total);
  }
  // In key order, so concurrent requests never deadlock on the aggregates' rows.
  const aggregateRows = [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, total]) => ({ workspace_id: "default", ...total }));
  const connection = await sql.reserve();
  try {
    await connection`begin`;
    await copyInto(
      connection,
      "copy usage (workspace_id, source, event_id, tenant_id, metric, period, quantity) from stdin",
      rows,
    );
    await connection`insert into aggregates ${connection(aggregateRows)}
      on conflict (workspace_id, tenant_id, period) do update set quantity = aggregates.quantity + excluded.quantity, events = aggregates.events + excluded.events`;
    await connection`commit`;
  } catch (error) {
    await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}

let processed = 0;
const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/processed") return void response.end(String(processed));
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    void (async () => {
      const events = JSON.parse(Buffer.concat(chunks).toString("utf8")) as BenchEvent[];
      await storeRaw(events);
      response.end(JSON.stringify({ stored: events.length }));
      await recordUsage(events);
      processed += events.length;
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
});
server.listen(0, "127.0.0.1", () =>
  console.log(`floor server: http://127.0.0.1:${(server.address() as { port: number }).port}/`),
);
