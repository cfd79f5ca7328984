import { sql } from "drizzle-orm";
import type { Database } from "../open-database";
import { eventsRaw } from "../schema";

export type NewRawEvent = Omit<typeof eventsRaw.$inferInsert, "seq" | "status" | "receivedAt">;
export type RawEventOutcome = { status: "stored"; seq: number } | { status: "duplicate" };

/**
 * Stores raw events, once each: a repeat of (workspace, source, id) is reported as a duplicate
 * rather than stored again. Outcomes come back in input order.
 */
export async function storeRawEvents(db: Database, events: NewRawEvent[]): Promise<RawEventOutcome[]> {
  if (events.length === 0) return [];
  const inserted = await db
    .insert(eventsRaw)
    .values(events)
    .onConflictDoNothing({ target: [eventsRaw.workspaceId, eventsRaw.source, eventsRaw.eventId] })
    .returning({ seq: eventsRaw.seq, source: eventsRaw.source, eventId: eventsRaw.eventId });
  const stored = new Map(inserted.map((row) => [`${row.source}\u0000${row.eventId}`, row.seq]));
  return events.map((event) => {
    const key = `${event.source}\u0000${event.eventId}`;
    const seq = stored.get(key);
    if (seq === undefined) return { status: "duplicate" };
    stored.delete(key); // a repeat inside the same batch is a duplicate too
    return { status: "stored", seq };
  });
}

export async function countRawEvents(db: Database, workspaceId: string): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(eventsRaw).where(sql`${eventsRaw.workspaceId} = ${workspaceId}`);
  return row?.count ?? 0;
}
