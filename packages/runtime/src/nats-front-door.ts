import { exceptions, insertExceptions, workspaces, type Database, type NewException } from "@meterflow/db";
import { and, inArray, sql } from "drizzle-orm";
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { ingestEvents, type IngestSummary } from "./ingest-events";

export interface NatsFrontDoorOptions {
  /** The NATS server, e.g. nats://127.0.0.1:4222. */
  url: string;
  /** The JetStream stream (created when missing, on `<subjectPrefix>.>`). */
  stream?: string;
  /** Events are published on `<subjectPrefix>.<workspace>.<anything>`, e.g. meterflow.events.default.acme. */
  subjectPrefix?: string;
  /** The durable consumer this runtime reads with; processes sharing it share the work. */
  consumer?: string;
  /** Messages taken per fetch (each fetch stores them in one statement per workspace). */
  batch?: number;
  /** How long JetStream waits before delivering again messages that could not be stored (default 5 s). */
  retryDelayMs?: number;
  /**
   * How long JetStream waits for a delivered message's acknowledgement before delivering it again
   * (default 60 s), set when the consumer is created: a message it sent down a connection as that
   * connection dropped is stored once this has passed.
   */
  ackWaitMs?: number;
  /** The pause between attempts to reconnect to NATS (default 2 s); they go on until it answers. */
  reconnectWaitMs?: number;
  /** Called when a fetch's events were stored, and with its summary per workspace, before the acknowledgements. */
  onStored?: () => void;
  onIngested?: (summary: IngestSummary) => void;
  log?: (message: string, error?: unknown) => void;
}

/**
 * The front door for high volume: CloudEvents (structured JSON) published to a NATS JetStream
 * stream, stored in events_raw like those sent to POST /v1/events. A message is acknowledged only
 * once stored (or recorded as an invalid_event exception): a stop or crash before that has
 * JetStream deliver it again, and the store's (source, id) deduplication makes that harmless. A
 * message that could not be stored (the database down) is redelivered after a pause.
 */
export async function startNatsFrontDoor(db: Database, options: NatsFrontDoorOptions) {
  const stream = options.stream ?? "METERFLOW_EVENTS";
  const prefix = options.subjectPrefix ?? "meterflow.events";
  const durable = options.consumer ?? "meterflow-ingest";
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  // Reconnects for as long as the process runs (the client gives up after 10 tries by default):
  // NATS restarting must not leave the front door closed until the server is restarted too.
  const connection = await connect({
    servers: options.url,
    name: "meterflow-runtime",
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectWaitMs ?? 2_000,
  });
  try {
    await ensureStreamAndConsumer(connection, {
      stream,
      subjects: [`${prefix}.>`],
      durable,
      ackWaitMs: options.ackWaitMs ?? 60_000,
    });
  } catch (error) {
    await connection.close();
    throw error;
  }
  const consumer = await jetstream(connection).consumers.get(stream, durable);

  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const messages: JsMsg[] = [];
        for await (const message of await consumer.fetch({ max_messages: options.batch ?? 1000, expires: 1000 }))
          messages.push(message);
        if (messages.length > 0) await storeMessages(db, messages, { stream, prefix, log }, options);
      } catch (error) {
        if (!running) break;
        log("NATS front door failed; retrying shortly:", error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();

  return {
    stream,
    subjects: `${prefix}.<workspace>.>`,
    async stop() {
      running = false;
      await loop; // the fetch under way ends within its expiry (1 s)
      await connection.drain();
    },
  };
}

async function ensureStreamAndConsumer(
  connection: NatsConnection,
  { stream, subjects, durable, ackWaitMs }: { stream: string; subjects: string[]; durable: string; ackWaitMs: number },
) {
  const manager = await jetstreamManager(connection);
  await manager.streams.info(stream).catch(async (error: unknown) => {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await manager.streams.add({ name: stream, subjects });
  });
  await manager.consumers.info(stream, durable).catch(async (error: unknown) => {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
    await manager.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: 20_000,
    });
  });
}

/**
 * Stores a fetch's messages (a statement per workspace) and records the invalid ones as
 * exceptions, then acknowledges them all; on a failure, asks for them again later. A message
 * delivered again is a duplicate in events_raw, and its exception is found by the message's
 * stream sequence and not raised twice.
 */
async function storeMessages(
  db: Database,
  messages: JsMsg[],
  { stream, prefix, log }: { stream: string; prefix: string; log: (message: string) => void },
  options: NatsFrontDoorOptions,
) {
  const byWorkspace = new Map<string, JsMsg[]>();
  const known = new Set((await db.select({ id: workspaces.id }).from(workspaces)).map((row) => row.id));
  for (const message of messages) {
    const workspace = workspaceOf(message.subject, prefix);
    if (!workspace || !known.has(workspace)) {
      // Not ours to store: kept in the stream (for a look with the NATS tools), not delivered again.
      const reason = workspace ? `no workspace "${workspace}"` : "no workspace in the subject";
      log(
        `NATS front door: ${message.subject} (stream sequence ${message.seq}) not stored: ${reason}; publish on ${prefix}.<workspace>.<anything>`,
      );
      message.term(); // no reason: servers before 2.10 ignore a term that gives one
      continue;
    }
    const received = byWorkspace.get(workspace);
    if (received) received.push(message);
    else byWorkspace.set(workspace, [message]);
  }
  const kept = [...byWorkspace.values()].flat();
  const invalid: NewException[] = [];
  const summaries: IngestSummary[] = [];
  try {
    for (const [workspaceId, received] of byWorkspace) {
      const raise = (message: JsMsg, reason: string, payload: unknown) =>
        invalid.push({
          workspaceId,
          kind: "invalid_event",
          reason,
          nodeId: "ingestion",
          raisedBy: "ingestion",
          itemId: `nats:${stream}:${message.seq}`,
          payload,
          history: [
            {
              at: new Date().toISOString(),
              actor: "runtime",
              action: "raised",
              comment: `published on ${message.subject}`,
            },
          ],
        });
      const readable: { message: JsMsg; event: unknown }[] = [];
      for (const message of received) {
        try {
          readable.push({ message, event: message.json<unknown>() });
        } catch (error) {
          raise(message, `The message is not valid JSON: ${(error as Error).message}`, message.string());
        }
      }
      const summary = await ingestEvents(
        db,
        workspaceId,
        readable.map(({ event }) => event),
      );
      summaries.push(summary);
      summary.results.forEach((result, index) => {
        if (result.status === "invalid") raise(readable[index]!.message, result.error, readable[index]!.event);
      });
    }
    // Nobody waits on a published event for its answer: an invalid one is kept as an exception.
    if (invalid.length > 0) {
      const ids = invalid.map((exception) => exception.itemId!);
      // raised_by as a literal: the partial index on ingestion's exceptions applies to any plan.
      const found = await db
        .select({ itemId: exceptions.itemId })
        .from(exceptions)
        .where(and(sql`${exceptions.raisedBy} = 'ingestion'`, inArray(exceptions.itemId, ids)));
      const raised = new Set(found.map((row) => row.itemId));
      await insertExceptions(
        db,
        invalid.filter((exception) => !raised.has(exception.itemId!)),
      );
    }
    for (const summary of summaries) options.onIngested?.(summary);
    if (summaries.some((summary) => summary.stored > 0)) options.onStored?.();
  } catch (error) {
    for (const message of kept) message.nak(options.retryDelayMs ?? 5_000);
    throw error;
  }
  for (const message of kept) message.ack();
}

function workspaceOf(subject: string, prefix: string): string | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const workspace = subject.slice(prefix.length + 1).split(".")[0];
  return workspace || undefined;
}
