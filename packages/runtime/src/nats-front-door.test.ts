import { randomUUID } from "node:crypto";
import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";
import { ensureWorkspace, exceptions, rowsOf, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsFrontDoor } from "./nats-front-door";

// Against the NATS server NATS_URL names (as CI sets it); without one there is nothing to test.
const natsUrl = process.env.NATS_URL;
const call = (id: string, tenantId = "acme") => ({
  specversion: "1.0",
  id,
  source: "/nats-gw",
  type: "com.meterflow.api.call",
  time: "2026-11-03T10:00:00Z",
  data: { tenantId, calls: 1 },
});

describe.runIf(natsUrl).each(databaseCases())("the NATS front door on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let nats: NatsConnection;
  // A stream and subjects of this run's own: runs and cases never see each other's messages.
  const run = randomUUID().slice(0, 8);
  const stream = `METERFLOW_TEST_${run}`;
  const prefix = `meterflow-test.${run}`;
  // A short ack wait: a message the server sends down a connection as it drops comes again after it.
  const options = { url: natsUrl!, stream, subjectPrefix: prefix, retryDelayMs: 100, ackWaitMs: 3_000, log: () => {} };
  beforeAll(async () => {
    handle = await open();
    await ensureWorkspace(handle.db, { id: "w", name: "W" }, { id: "u", name: "U", email: "u@x", roles: ["engineer"] });
    nats = await connect({ servers: natsUrl });
    // Made here with a second subject the front door does not read workspaces from.
    await (await jetstreamManager(nats)).streams.add({ name: stream, subjects: [`${prefix}.>`, `elsewhere-${run}.>`] });
  });
  afterAll(async () => {
    await (await jetstreamManager(nats)).streams.delete(stream).catch(() => undefined);
    await nats?.close();
    await handle?.close();
  });
  const publish = async (subject: string, body: unknown) =>
    jetstream(nats).publish(subject, typeof body === "string" ? body : JSON.stringify(body));
  const stored = async () =>
    (
      await rowsOf<{ event_id: string }>(
        handle.db,
        sql`select event_id from events_raw where workspace_id = 'w' order by event_id`,
      )
    ).map((row) => row.event_id);
  /** Messages the consumer has not had an answer for, or not delivered yet. */
  const waiting = async () =>
    (await jetstreamManager(nats)).consumers
      .info(stream, "meterflow-ingest")
      .then((info) => info.num_ack_pending + info.num_pending);
  const raised = async () =>
    (
      await handle.db
        .select({ reason: exceptions.reason, itemId: exceptions.itemId })
        .from(exceptions)
        .where(eq(exceptions.workspaceId, "w"))
    )
      .map((row) => row.reason)
      .sort();

  it("stores published events, keeps invalid ones as exceptions, and acknowledges each once stored", async () => {
    await publish(`${prefix}.w.acme`, call("n-1"));
    await publish(`${prefix}.w.globex`, call("n-2", "globex"));
    await publish(`${prefix}.w.acme`, call("n-1")); // a repeat: a duplicate, stored once
    await publish(`${prefix}.w.acme`, { specversion: "1.0", id: "n-bad", source: "/nats-gw" });
    await publish(`${prefix}.w.acme`, "{ not json");
    await publish(`${prefix}.nobody.acme`, call("n-3")); // no such workspace
    await publish(`elsewhere-${run}.w`, call("n-4")); // not under the prefix
    let summaries = 0;
    const frontDoor = await startNatsFrontDoor(handle.db, { ...options, onIngested: () => (summaries += 1) });
    try {
      await expect.poll(stored, { timeout: 10_000 }).toEqual(["n-1", "n-2"]);
      await expect
        .poll(raised, { timeout: 10_000 })
        .toEqual([
          expect.stringMatching(/^Not a CloudEvent: missing type$/),
          expect.stringMatching(/^The message is not valid JSON: /),
        ]);
    } finally {
      await frontDoor.stop();
    }
    expect(summaries).toBeGreaterThanOrEqual(1);
    // Every message answered: stored, kept as an exception, or refused for good (the two without a workspace).
    await expect.poll(waiting).toBe(0);
  });

  it("has JetStream deliver again what it could not acknowledge, without storing or raising anything twice", async () => {
    await publish(`${prefix}.w.acme`, call("n-5"));
    await publish(`${prefix}.w.acme`, { specversion: "1.0", id: "n-bad-2", source: "/nats-gw" });
    // Fails once after the events and before the acknowledgements, as a crash there would.
    let failures = 0;
    const frontDoor = await startNatsFrontDoor(handle.db, {
      ...options,
      onIngested: () => {
        if (failures === 0) {
          failures += 1;
          throw new Error("lost before the acknowledgement");
        }
      },
    });
    try {
      await expect.poll(stored, { timeout: 10_000 }).toEqual(["n-1", "n-2", "n-5"]);
      await expect.poll(waiting, { timeout: 10_000 }).toBe(0);
    } finally {
      await frontDoor.stop();
    }
    expect(failures).toBe(1);
    expect(await raised()).toEqual([
      "Not a CloudEvent: missing type",
      "Not a CloudEvent: missing type",
      expect.stringMatching(/^The message is not valid JSON: /),
    ]);
    const [{ n }] = (await rowsOf<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from exceptions where item_id like ${`nats:${stream}:%`}`,
    )) as [{ n: number }];
    expect(n).toBe(3);
  });

  it("takes events again once NATS is back after the connection dropped", async () => {
    // The front door talks to NATS through a proxy this test cuts and restores.
    const target = new URL(natsUrl!);
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port || 4222) });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => socket.destroy());
        socket.on("close", () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    const listen = (port = 0) =>
      new Promise<number>((resolve) =>
        proxy.listen(port, "127.0.0.1", () => resolve((proxy.address() as AddressInfo).port)),
      );
    const port = await listen();
    // Reconnect attempts every 100 ms: the client's default of 10 attempts would be spent in a second.
    const frontDoor = await startNatsFrontDoor(handle.db, {
      ...options,
      url: `nats://127.0.0.1:${port}`,
      reconnectWaitMs: 100,
    });
    try {
      await publish(`${prefix}.w.acme`, call("n-6"));
      await expect.poll(stored, { timeout: 10_000 }).toContain("n-6");

      const closed = new Promise((resolve) => proxy.close(resolve as () => void));
      for (const socket of sockets) socket.destroy();
      await closed;
      await publish(`${prefix}.w.acme`, call("n-7")); // straight to NATS, while the front door is cut off
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // some 30 reconnect attempts
      expect(await stored()).not.toContain("n-7");

      await listen(port);
      // At the latest after the ack wait (3 s): NATS may have handed n-7 to the connection being cut.
      await expect.poll(stored, { timeout: 20_000 }).toContain("n-7");
    } finally {
      await frontDoor.stop();
      proxy.close();
      for (const socket of sockets) socket.destroy();
    }
  });
});
