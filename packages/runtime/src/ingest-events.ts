import {
  refusedText,
  storeRawEvents,
  UNSTORABLE_TEXT,
  unstorableCharacter,
  type Database,
  type NewRawEvent,
  type RawEventOutcome,
} from "@meterflow/db";
import { correlationIdOf, envelopeProblem, strictInstantMs, type CloudEvent } from "@meterflow/engine";

export type IngestResult =
  | { index: number; id?: string; source?: string; status: "stored" | "duplicate" }
  | { index: number; id?: string; source?: string; status: "invalid"; error: string };

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
export async function ingestEvents(
  db: Database,
  workspaceId: string,
  events: readonly unknown[],
): Promise<IngestSummary> {
  const results: IngestResult[] = new Array(events.length);
  let rows: NewRawEvent[] = [];
  let rowIndex: number[] = [];
  events.forEach((raw, index) => {
    const problem = envelopeProblem(raw);
    const event = raw as Record<string, unknown>;
    const identity = problem ? identityOf(raw) : { id: event.id as string, source: event.source as string };
    if (problem) {
      results[index] = { index, ...identity, status: "invalid", error: problem };
      return;
    }
    rows.push({
      source: identity.source!,
      eventId: identity.id!,
      type: event.type as string,
      subject: typeof event.subject === "string" ? event.subject : null,
      time: typeof event.time === "string" ? storableTime(event.time) : null,
      partitionKey: partitionKeyOf(event),
      // The engine's correlation id for the event, so the raw event and what it became share one.
      correlationId: correlationIdOf(event as CloudEvent),
      envelope: event,
    });
    rowIndex.push(index);
  });
  let outcomes: RawEventOutcome[];
  try {
    outcomes = await storeRawEvents(db, workspaceId, rows);
  } catch (error) {
    if (!refusedText(error)) throw error;
    // One string PostgreSQL cannot hold fails the whole insert: such events are answered invalid
    // and the others stored. They are searched for only after a refusal, not in every request.
    const kept: number[] = [];
    rows.forEach((row, i) => {
      const path = unstorableTextAt(row.envelope);
      if (path === undefined) kept.push(i);
      else
        results[rowIndex[i]!] = {
          index: rowIndex[i]!,
          id: row.eventId,
          source: row.source,
          status: "invalid",
          error: `${path} contains ${UNSTORABLE_TEXT}`,
        };
    });
    rows = kept.map((i) => rows[i]!);
    rowIndex = kept.map((i) => rowIndex[i]!);
    outcomes = await storeRawEvents(db, workspaceId, rows);
  }
  outcomes.forEach((outcome, i) => {
    const index = rowIndex[i]!;
    results[index] = { index, id: rows[i]!.eventId, source: rows[i]!.source, status: outcome.status };
  });
  const duplicates = outcomes.filter((outcome) => outcome.status === "duplicate").length;
  return { results, stored: outcomes.length - duplicates, duplicates, invalid: events.length - outcomes.length };
}

/**
 * Processing is partitioned by tenant: data.tenantId, else the subject, else the source. The
 * tenant comes first because a tenant's windows must stay in one partition (their state is
 * loaded and locked with it): a subject naming something else (a user, a resource) would split
 * them.
 */
function partitionKeyOf(event: Record<string, unknown>): string {
  const tenant = (event.data as { tenantId?: unknown } | undefined)?.tenantId;
  if (typeof tenant === "string" && tenant) return tenant;
  return typeof event.subject === "string" && event.subject ? event.subject : (event.source as string);
}

/**
 * The time to store: the envelope's own text when it is UTC to the millisecond in the usual form
 * (what SDKs write), which PostgreSQL and the engine read alike, sparing a Date per event; any
 * other RFC 3339 text as the engine reads it (PostgreSQL would round a seventh fractional digit
 * where JavaScript cuts at the third, and at the end of a month the two could disagree).
 */
function storableTime(text: string): string {
  return strictInstantMs(text) !== undefined ? text : new Date(text).toISOString();
}

function identityOf(raw: unknown): { id?: string; source?: string } {
  if (raw === null || typeof raw !== "object") return {};
  const { id, source } = raw as { id?: unknown; source?: unknown };
  return { ...(typeof id === "string" ? { id } : {}), ...(typeof source === "string" ? { source } : {}) };
}

/** The path of the first key or string in `value` that PostgreSQL text cannot hold. */
function unstorableTextAt(value: unknown, path = "$"): string | undefined {
  if (typeof value === "string") return unstorableCharacter.test(value) ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (unstorableCharacter.test(key)) return at;
    const found = unstorableTextAt(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
