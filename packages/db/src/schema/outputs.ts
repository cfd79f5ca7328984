import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  json,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { exceptionKinds } from "@meterflow/flow-spec";
import { keyText } from "./events";
import { flowVersions } from "./flows";

/** Validated usage records produced by a flow version. */
export const usageRecords = pgTable(
  "usage_records",
  {
    workspaceId: keyText("workspace_id").notNull(),
    // No foreign key: a row per event, and published versions are never deleted; the per-row
    // check cost a quarter of this insert (3.7 ms per 1,000 records measured).
    flowVersionId: uuid("flow_version_id").notNull(),
    nodeId: text("node_id").notNull(),
    /** The engine's id for the record (node + event): a re-run of the same version cannot add it twice. */
    recordKey: keyText("record_key").notNull(),
    eventSeq: bigint("event_seq", { mode: "number" }),
    tenantId: keyText("tenant_id").notNull(),
    contractId: text("contract_id"),
    productCode: text("product_code"),
    metric: keyText("metric").notNull(),
    quantity: numeric("quantity").notNull(),
    ratingPeriod: keyText("rating_period").notNull(),
    correlationId: text("correlation_id").notNull(),
    // json, not jsonb: nothing queries inside it, and parsing into jsonb was the largest part of
    // storing a record (10 against 3.5 µs of PostgreSQL CPU per record measured). It holds the
    // record's fields that the columns above do not (the runtime's usageRecordPayload puts the
    // record back together).
    payload: json("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // BRIN, not a b-tree: records arrive roughly in period order, so reconciliation's read of a
    // period range finds its blocks from a summary per 128 pages, which costs next to nothing per
    // insert (the b-tree on workspace, tenant, metric and period cost about 1.5 µs per record).
    index("usage_records_period_brin").using("brin", table.ratingPeriod).with({ autosummarize: true }),
    // The latest records (the Operations page) are looked for in a recent window of created_at.
    index("usage_records_created_brin").using("brin", table.createdAt).with({ autosummarize: true }),
    // The key, and no surrogate id beside it: a second index per record cost 2.5 ms per 1,000.
    primaryKey({ columns: [table.flowVersionId, table.recordKey] }),
  ],
);

/** One vocabulary of exception kinds: the flow-spec's, which Exception nodes are typed by. */
export type ExceptionKind = (typeof exceptionKinds)[number];
export const exceptionStatuses = ["open", "retrying", "resolved"] as const;
export type ExceptionStatus = (typeof exceptionStatuses)[number];

export interface ExceptionHistoryEntry {
  at: string;
  actor: string;
  action: string;
  comment?: string;
}

export const exceptions = pgTable(
  "exceptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: text("workspace_id").notNull(),
    kind: text("kind").$type<ExceptionKind>().notNull(),
    reason: text("reason").notNull(),
    status: text("status").$type<ExceptionStatus>().notNull().default("open"),
    flowVersionId: uuid("flow_version_id").references(() => flowVersions.id),
    deploymentId: uuid("deployment_id"),
    nodeId: text("node_id"),
    /** Where a retry resumes (the node that found the problem) with the payload as its input. */
    raisedBy: text("raised_by"),
    itemId: text("item_id"),
    partitionKey: text("partition_key"),
    eventSeq: bigint("event_seq", { mode: "number" }),
    eventKeys: jsonb("event_keys").$type<string[]>().notNull().default([]),
    postingId: uuid("posting_id"),
    correlationId: text("correlation_id"),
    payload: jsonb("payload").$type<unknown>().notNull(),
    history: jsonb("history").$type<ExceptionHistoryEntry[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // The newest of a status first (the Operations page's open exceptions), read in index order: a
  // flood of exceptions (a tenant missing from the account map) is not sorted at every poll.
  (table) => [
    index("exceptions_recent_idx").on(table.workspaceId, table.status, table.createdAt),
    // Exceptions raised at ingestion by item (a NATS message's stream sequence): a message
    // delivered again finds its exception here rather than by reading them all.
    index("exceptions_ingestion_item_idx").on(table.itemId).where(sql`raised_by = 'ingestion'`),
  ],
);

export interface PostingAttempt {
  at: string;
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  response?: { status: number; headers: Record<string, string>; body: unknown };
  error?: string;
  durationMs: number;
}

export const postingStatuses = ["pending", "held", "delivering", "posted", "failed"] as const;
export type PostingStatus = (typeof postingStatuses)[number];

/** The outbox: written in the same transaction as its cause; the idempotency key makes redelivery harmless. */
export const postings = pgTable(
  "postings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: text("workspace_id").notNull(),
    flowVersionId: uuid("flow_version_id")
      .notNull()
      .references(() => flowVersions.id),
    deploymentId: uuid("deployment_id"),
    nodeId: text("node_id").notNull(),
    kind: text("kind").$type<"post" | "notify">().notNull().default("post"),
    endpoint: text("endpoint").notNull(),
    operation: text("operation").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    request: jsonb("request").$type<unknown>().notNull(),
    status: text("status").$type<PostingStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    maxAttempts: integer("max_attempts").notNull().default(8),
    erpDocumentId: text("erp_document_id"),
    lastResponse: jsonb("last_response").$type<unknown>(),
    lastError: text("last_error"),
    /** Every attempt's request and response, for audit. */
    attemptLog: jsonb("attempt_log").$type<PostingAttempt[]>().notNull().default([]),
    correlationId: text("correlation_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("postings_idempotency_key_unique").on(table.idempotencyKey),
    index("postings_due_idx").on(table.status, table.nextAttemptAt),
  ],
);

/**
 * One link per output and batch: the inputs it was made from (event keys "source#id", or item ids
 * of upstream outputs), the node and the flow version, so every ERP line traces back to events.
 */
export const lineage = pgTable(
  "lineage",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: text("workspace_id").notNull(),
    outputType: text("output_type").notNull(),
    outputId: text("output_id").notNull(),
    inputType: text("input_type").$type<"events" | "items">().notNull(),
    inputIds: jsonb("input_ids").$type<string[]>().notNull(),
    flowVersionId: uuid("flow_version_id").references(() => flowVersions.id),
    nodeId: text("node_id").notNull(),
    pricingRuleVersion: text("pricing_rule_version"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Looked up by output only (tracing goes from a posting back to events). A GIN index on the
  // inputs, never queried, took every event key of every window's link in each batch.
  (table) => [index("lineage_output_idx").on(table.workspaceId, table.outputId)],
);
