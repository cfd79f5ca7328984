import { sql } from "drizzle-orm";
import type { Database } from "../open-database";
import { columnRecords } from "../raw-rows";
import type { exceptions } from "../schema";

/** An exception to raise: open, with its history so far. */
export type NewException = Omit<
  typeof exceptions.$inferInsert,
  "id" | "status" | "postingId" | "createdAt" | "updatedAt"
>;

/**
 * Raises exceptions, any number in one statement: each column's values go in one parameter. A
 * VALUES list binds one parameter per field, and a batch of 5,000 events that all failed one check
 * (a tenant missing from the account map) passed PostgreSQL's limit of 65,535 parameters: the
 * batch failed, and failed again at each retry, holding up its partitions.
 */
export async function insertExceptions(db: Database, rows: readonly NewException[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <K extends keyof NewException>(key: K) => rows.map((row) => row[key] ?? null);
  const json = <K extends "eventKeys" | "payload" | "history">(key: K, absent: unknown) =>
    rows.map((row) => JSON.stringify(row[key] === undefined ? absent : row[key]));
  await db.execute(sql`insert into exceptions (workspace_id, kind, reason, flow_version_id, deployment_id, node_id, raised_by, item_id, partition_key, event_seq, event_keys, correlation_id, payload, history)
    select workspace_id, kind, reason, flow_version_id, deployment_id, node_id, raised_by, item_id, partition_key, event_seq, event_keys, correlation_id, payload, history
    from ${columnRecords({
      workspace_id: ["text", column("workspaceId")],
      kind: ["text", column("kind")],
      reason: ["text", column("reason")],
      flow_version_id: ["uuid", column("flowVersionId")],
      deployment_id: ["uuid", column("deploymentId")],
      node_id: ["text", column("nodeId")],
      raised_by: ["text", column("raisedBy")],
      item_id: ["text", column("itemId")],
      partition_key: ["text", column("partitionKey")],
      event_seq: ["bigint", column("eventSeq")],
      event_keys: ["jsonb", json("eventKeys", [])],
      correlation_id: ["text", column("correlationId")],
      payload: ["jsonb", json("payload", null)],
      history: ["jsonb", json("history", [])],
    })}
    order by ord`);
}
