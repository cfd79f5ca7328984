import { randomUUID } from "node:crypto";
import { storeRawEvents, type Database, type NewRawEvent } from "@meterflow/db";
import { envelopeProblem, traceIdOf } from "@meterflow/engine";

export type IngestResult = { index: number; id?: string; source?: string; status: "stored" | "duplicate" } | { index: number; id?: string; source?: string; status: "invalid"; error: string };

export interface IngestSummary {
  results: IngestResult[];
  stored: number;
  duplicates: number;
  invalid: number;
}

/**
 * Stores the valid events of a request durably in events_raw and answers per event: `stored`,
 * `duplicate` (its (source, id) was stored before) or `invalid` with the reason. An event is
 * acknowledged only once the insert has committed.
 */
export async function ingestEvents(db: Database, workspaceId: string, events: readonly unknown[]): Promise<IngestSummary> {
  const results: IngestResult[] = new Array(events.length);
  const rows: NewRawEvent[] = [];
  const rowIndex: number[] = [];
  events.forEach((raw, index) => {
    const problem = envelopeProblem(raw);
    const event = raw as Record<string, unknown>;
    const identity = problem ? identityOf(raw) : { id: event.id as string, source: event.source as string };
    if (problem) {
      results[index] = { index, ...identity, status: "invalid", error: problem };
      return;
    }
    rows.push({
      workspaceId,
      source: identity.source!,
      eventId: identity.id!,
      type: event.type as string,
      subject: typeof event.subject === "string" ? event.subject : null,
      time: typeof event.time === "string" ? new Date(event.time) : null,
      partitionKey: partitionKeyOf(event),
      correlationId: traceIdOf(event) ?? randomUUID(),
      envelope: event,
    });
    rowIndex.push(index);
  });
  const outcomes = await storeRawEvents(db, rows);
  outcomes.forEach((outcome, i) => {
    const index = rowIndex[i]!;
    results[index] = { index, id: rows[i]!.eventId, source: rows[i]!.source, status: outcome.status };
  });
  const duplicates = outcomes.filter((outcome) => outcome.status === "duplicate").length;
  return { results, stored: outcomes.length - duplicates, duplicates, invalid: events.length - outcomes.length };
}

/** Processing is partitioned by tenant: the subject, else data.tenantId, else the source. */
function partitionKeyOf(event: Record<string, unknown>): string {
  if (typeof event.subject === "string" && event.subject) return event.subject;
  const tenant = (event.data as { tenantId?: unknown } | undefined)?.tenantId;
  return typeof tenant === "string" && tenant ? tenant : (event.source as string);
}

function identityOf(raw: unknown): { id?: string; source?: string } {
  if (raw === null || typeof raw !== "object") return {};
  const { id, source } = raw as { id?: unknown; source?: unknown };
  return { ...(typeof id === "string" ? { id } : {}), ...(typeof source === "string" ? { source } : {}) };
}
