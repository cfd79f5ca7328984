import { and, eq, inArray } from "drizzle-orm";
import { eventOutcome, eventsRaw, flowVersions, lineage, NotFoundError, postings, usageSummaries, type Database } from "@meterflow/db";
import { eventIdsIn } from "@meterflow/engine";
import { planFor } from "../processing/deployments";
import { aggregateNodeIds, windowBehind } from "../processing/runtime-store";

/**
 * Where an ERP posting came from, hop by hop along the lineage: the posting, the rated items it
 * carries (with the pricing-rule version used), the window each was rated from, and the raw
 * events aggregated into that window, with the flow version that made them.
 */
export async function tracePosting(db: Database, input: { workspaceId: string; idempotencyKey: string; eventLimit?: number }) {
  const [posting] = await db.select().from(postings).where(and(eq(postings.workspaceId, input.workspaceId), eq(postings.idempotencyKey, input.idempotencyKey)));
  if (!posting) throw new NotFoundError("Posting", input.idempotencyKey);
  const [version] = await db.select({ id: flowVersions.id, number: flowVersions.number, contentHash: flowVersions.contentHash }).from(flowVersions).where(eq(flowVersions.id, posting.flowVersionId));
  const aggregates = aggregateNodeIds(await planFor(db, posting.flowVersionId));
  const linksOf = (outputId: string) => db.select().from(lineage).where(and(eq(lineage.workspaceId, input.workspaceId), eq(lineage.outputId, outputId)));

  const items = [];
  for (const link of await linksOf(`posting:${posting.idempotencyKey}`)) {
    for (const itemId of link.inputIds) {
      const found = await windowBehind(db, input.workspaceId, aggregates, itemId);
      const [summary] = found
        ? await db
            .select()
            .from(usageSummaries)
            .where(and(eq(usageSummaries.flowVersionId, posting.flowVersionId), eq(usageSummaries.nodeId, found.nodeId), eq(usageSummaries.windowKey, found.windowKey)))
        : [];
      const eventKeys = summary ? (await linksOf(`${summary.nodeId}:${summary.windowKey}`)).flatMap((windowLink) => windowLink.inputIds) : [];
      const shown = eventKeys.slice(0, input.eventLimit ?? 20);
      const events = shown.length
        ? await db
            .select({ seq: eventsRaw.seq, source: eventsRaw.source, id: eventsRaw.eventId, time: eventsRaw.time, outcome: eventOutcome })
            .from(eventsRaw)
            .where(and(eq(eventsRaw.workspaceId, input.workspaceId), inArray(eventsRaw.eventId, shown.flatMap(eventIdsIn))))
        : [];
      items.push({
        itemId,
        pricingRuleVersion: found?.pricingRuleVersion ?? null,
        window: summary ? { nodeId: summary.nodeId, tenantId: summary.tenantId, metric: summary.metric, ratingPeriod: summary.ratingPeriod, eventCount: summary.eventCount, quantity: summary.quantity, lines: { offset: summary.lineOffset, count: summary.lineCount } } : null,
        eventCount: eventKeys.length,
        events: events.filter((event) => shown.includes(`${event.source}#${event.id}`)),
      });
    }
  }
  return {
    posting: { idempotencyKey: posting.idempotencyKey, endpoint: posting.endpoint, operation: posting.operation, status: posting.status, erpDocumentId: posting.erpDocumentId, request: posting.request },
    flowVersion: version ?? null,
    items,
  };
}
