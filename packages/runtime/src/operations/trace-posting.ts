import { and, eq, sql } from "drizzle-orm";
import {
  eventOutcome,
  eventsRaw,
  flowVersions,
  jsonRecords,
  lineage,
  NotFoundError,
  postings,
  rowsOf,
  usageSummaries,
  type Database,
} from "@meterflow/db";
import { eventIdsIn } from "@meterflow/engine";
import { planFor } from "../processing/deployments";
import { aggregateNodeIds, windowBehind } from "../processing/runtime-store";

/**
 * Where an ERP posting came from, hop by hop along the lineage: the posting, the rated items it
 * carries (with the pricing-rule version used), the window each was rated from, and the raw
 * events aggregated into that window, with the flow version that made them.
 */
export async function tracePosting(
  db: Database,
  input: { workspaceId: string; idempotencyKey: string; eventLimit?: number },
) {
  const [posting] = await db
    .select()
    .from(postings)
    .where(and(eq(postings.workspaceId, input.workspaceId), eq(postings.idempotencyKey, input.idempotencyKey)));
  if (!posting) throw new NotFoundError("Posting", input.idempotencyKey);
  const [version] = await db
    .select({ id: flowVersions.id, number: flowVersions.number, contentHash: flowVersions.contentHash })
    .from(flowVersions)
    .where(eq(flowVersions.id, posting.flowVersionId));
  const aggregates = aggregateNodeIds(await planFor(db, posting.flowVersionId));
  const linksOf = (outputId: string) =>
    db
      .select()
      .from(lineage)
      .where(and(eq(lineage.workspaceId, input.workspaceId), eq(lineage.outputId, outputId)));

  const items = [];
  for (const link of await linksOf(`posting:${posting.idempotencyKey}`)) {
    for (const itemId of link.inputIds) {
      const found = await windowBehind(db, input.workspaceId, aggregates, itemId);
      const [summary] = found
        ? await db
            .select()
            .from(usageSummaries)
            .where(
              and(
                eq(usageSummaries.flowVersionId, posting.flowVersionId),
                eq(usageSummaries.nodeId, found.nodeId),
                eq(usageSummaries.windowKey, found.windowKey),
              ),
            )
        : [];
      const { eventCount, shown } = summary
        ? await eventsOfWindow(db, input.workspaceId, `${summary.nodeId}:${summary.windowKey}`, input.eventLimit ?? 20)
        : { eventCount: 0, shown: [] };
      // By (source, id), the unique index's order: a key "a#b#c" may be source "a" or "a#b".
      const identities = shown.flatMap((key) =>
        eventIdsIn(key).map((id) => ({ source: key.slice(0, key.length - id.length - 1), id })),
      );
      const events = identities.length
        ? await db
            .select({
              seq: eventsRaw.seq,
              source: eventsRaw.source,
              id: eventsRaw.eventId,
              time: eventsRaw.time,
              outcome: eventOutcome,
            })
            .from(eventsRaw)
            .where(
              and(
                eq(eventsRaw.workspaceId, input.workspaceId),
                sql`(${eventsRaw.source}, ${eventsRaw.eventId}) in (select r.source, r.id from ${jsonRecords(identities, "source text, id text")})`,
              ),
            )
        : [];
      items.push({
        itemId,
        pricingRuleVersion: found?.pricingRuleVersion ?? null,
        window: summary
          ? {
              nodeId: summary.nodeId,
              tenantId: summary.tenantId,
              metric: summary.metric,
              ratingPeriod: summary.ratingPeriod,
              eventCount: summary.eventCount,
              quantity: summary.quantity,
              lines: { offset: summary.lineOffset, count: summary.lineCount },
            }
          : null,
        eventCount,
        events: events.filter((event) => shown.includes(`${event.source}#${event.id}`)),
      });
    }
  }
  return {
    posting: {
      idempotencyKey: posting.idempotencyKey,
      endpoint: posting.endpoint,
      operation: posting.operation,
      status: posting.status,
      erpDocumentId: posting.erpDocumentId,
      request: posting.request,
    },
    flowVersion: version ?? null,
    items,
  };
}

/**
 * How many events a window's lineage lists, and the first `limit` of them, read in SQL: a month's
 * window of a busy tenant lists hundreds of thousands (221 ms to read them all for 100,000).
 */
async function eventsOfWindow(
  db: Database,
  workspaceId: string,
  windowId: string,
  limit: number,
): Promise<{ eventCount: number; shown: string[] }> {
  const [counted] = await rowsOf<{ count: number }>(
    db,
    sql`select coalesce(sum(jsonb_array_length(input_ids)), 0)::int as count from lineage where workspace_id = ${workspaceId} and output_id = ${windowId}`,
  );
  const first = await rowsOf<{ key: string }>(
    db,
    sql`select e.key from lineage l cross join lateral jsonb_array_elements_text(l.input_ids) with ordinality as e(key, n)
        where l.workspace_id = ${workspaceId} and l.output_id = ${windowId} order by l.id, e.n limit ${limit}`,
  );
  return { eventCount: counted?.count ?? 0, shown: first.map((row) => row.key) };
}
