import Decimal from "decimal.js";
import { and, between, eq, gte, lt, sql } from "drizzle-orm";
import {
  deployments,
  eventOutcome,
  eventsRaw,
  postings,
  runtimeWindows,
  usageRecords,
  usageSummaries,
  type Database,
} from "@meterflow/db";

/** How the ERP reports a posted document, looked up by the idempotency key it was posted with. */
export type ErpLookup = (
  idempotencyKey: string,
) => Promise<{ id: string; currency?: string; lines: { quantity: string; amount: string }[] } | undefined>;

export interface ReconciliationRow {
  tenant: string;
  metric: string;
  period: string;
  rawEvents: number;
  validatedEvents: number;
  records: { count: number; quantity: string };
  aggregates: { events: number; quantity: string; open: number; closed: number };
  /** Amounts keep their lines' decimal places; `currencies` are those of the documents summed (one, unless a period was billed in several). */
  posted: { lines: number; quantity: string; amount: string; currencies: string[]; unposted: number };
  erp: { lines: number; quantity: string; amount: string; currencies: string[]; missing: number } | null;
}

export interface ReconciliationDifference {
  tenant: string;
  metric: string;
  period: string;
  check: "raw_vs_records" | "records_vs_aggregates" | "aggregates_vs_posted" | "posted_vs_erp";
  expected: string;
  actual: string;
  explanation: string;
}

/**
 * Per tenant, metric and rating period (months): counts and sums across raw events, usage
 * records, aggregates (open and closed windows), postings as recorded and, when the ERP can be
 * asked, as the ERP reports them; every difference listed with what it means.
 */
export async function reconcile(
  db: Database,
  input: { workspaceId: string; from: Date; to: Date; tenant?: string; erp?: ErpLookup },
) {
  const { workspaceId, from, to } = input;
  const periodOf = sql<string>`to_char(${eventsRaw.time} at time zone 'UTC', 'YYYY-MM')`;
  const raw = await db
    .select({
      tenant: eventsRaw.partitionKey,
      period: periodOf,
      total: sql<number>`count(*)::int`,
      validated: sql<number>`count(*) filter (where ${eventOutcome} = 'validated')::int`,
    })
    .from(eventsRaw)
    .where(
      and(
        eq(eventsRaw.workspaceId, workspaceId),
        gte(eventsRaw.time, from),
        lt(eventsRaw.time, to),
        input.tenant ? eq(eventsRaw.partitionKey, input.tenant) : undefined,
      ),
    )
    .groupBy(eventsRaw.partitionKey, periodOf);
  const periods = new Set(raw.map((row) => row.period));
  const fromPeriod = from.toISOString().slice(0, 7);
  const toPeriod = new Date(to.getTime() - 1).toISOString().slice(0, 7);
  // Records and summaries are read for the range's periods only (a workspace keeps years of
  // them), compared byte by byte as here.
  const inRange = (period: string) => period >= fromPeriod && period <= toPeriod;

  const records = await db
    .select({
      tenant: usageRecords.tenantId,
      metric: usageRecords.metric,
      period: usageRecords.ratingPeriod,
      count: sql<number>`count(*)::int`,
      quantity: sql<string>`coalesce(sum(${usageRecords.quantity}), 0)::text`,
    })
    .from(usageRecords)
    .where(
      and(
        eq(usageRecords.workspaceId, workspaceId),
        input.tenant ? eq(usageRecords.tenantId, input.tenant) : undefined,
        between(usageRecords.ratingPeriod, fromPeriod, toPeriod),
      ),
    )
    .groupBy(usageRecords.tenantId, usageRecords.metric, usageRecords.ratingPeriod);
  const closed = await db
    .select({
      summary: usageSummaries,
      posting: { status: postings.status, request: postings.request, idempotencyKey: postings.idempotencyKey },
    })
    .from(usageSummaries)
    .leftJoin(postings, eq(postings.idempotencyKey, usageSummaries.postingKey))
    .where(
      and(
        eq(usageSummaries.workspaceId, workspaceId),
        input.tenant ? eq(usageSummaries.tenantId, input.tenant) : undefined,
        sql`${usageSummaries.ratingPeriod} collate "C" between ${fromPeriod} and ${toPeriod}`,
      ),
    );
  const open = await db
    .select({ state: runtimeWindows.state })
    .from(runtimeWindows)
    .innerJoin(deployments, eq(deployments.id, runtimeWindows.deploymentId))
    .where(
      and(
        eq(deployments.workspaceId, workspaceId),
        input.tenant ? eq(runtimeWindows.partitionKey, input.tenant) : undefined,
      ),
    );

  const rows = new Map<string, ReconciliationRow>();
  const rowFor = (tenant: string, metric: string, period: string) => {
    const key = `${tenant}\u001f${metric}\u001f${period}`;
    let row = rows.get(key);
    if (!row) {
      const rawRow = raw.find((candidate) => candidate.tenant === tenant && candidate.period === period);
      row = {
        tenant,
        metric,
        period,
        rawEvents: rawRow?.total ?? 0,
        validatedEvents: rawRow?.validated ?? 0,
        records: { count: 0, quantity: "0" },
        aggregates: { events: 0, quantity: "0", open: 0, closed: 0 },
        posted: { lines: 0, quantity: "0", amount: "0", currencies: [], unposted: 0 },
        erp: input.erp ? { lines: 0, quantity: "0", amount: "0", currencies: [], missing: 0 } : null,
      };
      rows.set(key, row);
    }
    return row;
  };
  // A sum keeps the decimal places of its terms, so 100.00 + 50.00 reads 150.00, as money does.
  const plus = (a: string, b: unknown) => {
    const term = String(b ?? 0);
    return new Decimal(a).plus(new Decimal(term)).toFixed(Math.max(decimalPlaces(a), decimalPlaces(term)));
  };
  const withCurrency = (currencies: string[], currency: unknown) => {
    if (typeof currency === "string" && currency && !currencies.includes(currency)) currencies.push(currency);
  };

  for (const record of records)
    if (inRange(record.period))
      Object.assign(rowFor(record.tenant, record.metric, record.period).records, {
        count: record.count,
        quantity: new Decimal(record.quantity).toFixed(),
      });
  for (const { state } of open) {
    const window = state as {
      group: Record<string, unknown>;
      start: string;
      count: number;
      measures: Record<string, unknown>;
    };
    const period = window.start.slice(0, 7);
    if (!inRange(period)) continue;
    const row = rowFor(String(window.group.tenantId ?? "?"), String(window.group.metric ?? "?"), period);
    row.aggregates.events += window.count;
    row.aggregates.quantity = plus(row.aggregates.quantity, window.measures.quantity);
    row.aggregates.open += 1;
  }
  for (const { summary, posting } of closed) {
    if (!inRange(summary.ratingPeriod)) continue;
    const row = rowFor(summary.tenantId ?? summary.partitionKey, summary.metric ?? "?", summary.ratingPeriod);
    row.aggregates.events += summary.eventCount;
    row.aggregates.quantity = plus(row.aggregates.quantity, summary.quantity);
    row.aggregates.closed += 1;
    if (!posting || posting.status !== "posted" || summary.lineOffset === null || summary.lineCount === null) {
      row.posted.unposted += 1;
      continue;
    }
    const request = posting.request as { currency?: unknown; lines?: { quantity?: unknown; amount?: unknown }[] };
    const lines = (request.lines ?? []).slice(summary.lineOffset, summary.lineOffset + summary.lineCount);
    if (lines.length > 0) withCurrency(row.posted.currencies, request.currency);
    for (const line of lines) {
      row.posted.lines += 1;
      row.posted.quantity = plus(row.posted.quantity, line.quantity);
      row.posted.amount = plus(row.posted.amount, line.amount);
    }
    if (row.erp && input.erp) {
      const document = await input.erp(posting.idempotencyKey);
      if (!document) {
        row.erp.missing += 1;
        continue;
      }
      const erpLines = document.lines.slice(summary.lineOffset, summary.lineOffset + summary.lineCount);
      if (erpLines.length > 0) withCurrency(row.erp.currencies, document.currency);
      for (const line of erpLines) {
        row.erp.lines += 1;
        row.erp.quantity = plus(row.erp.quantity, line.quantity);
        row.erp.amount = plus(row.erp.amount, line.amount);
      }
    }
  }
  // Tenants with raw events but nothing downstream still get a row.
  for (const rawRow of raw)
    if (
      periods.has(rawRow.period) &&
      ![...rows.values()].some((row) => row.tenant === rawRow.tenant && row.period === rawRow.period)
    )
      rowFor(rawRow.tenant, "-", rawRow.period);

  const differences: ReconciliationDifference[] = [];
  const sorted = [...rows.values()].sort((a, b) =>
    `${a.tenant}${a.metric}${a.period}`.localeCompare(`${b.tenant}${b.metric}${b.period}`),
  );
  for (const row of sorted) {
    const where = { tenant: row.tenant, metric: row.metric, period: row.period };
    const metricsOfTenant = sorted.filter((other) => other.tenant === row.tenant && other.period === row.period).length;
    if (metricsOfTenant === 1 && row.validatedEvents !== row.records.count) {
      differences.push({
        ...where,
        check: "raw_vs_records",
        expected: String(row.validatedEvents),
        actual: String(row.records.count),
        explanation:
          "validated raw events and usage records differ: events still being processed, records of events that later failed (a late event keeps its record but is not aggregated), or records lost",
      });
    }
    if (row.records.count !== row.aggregates.events || !new Decimal(row.records.quantity).eq(row.aggregates.quantity)) {
      differences.push({
        ...where,
        check: "records_vs_aggregates",
        expected: `${row.records.count} / ${row.records.quantity}`,
        actual: `${row.aggregates.events} / ${row.aggregates.quantity}`,
        explanation: "usage records (count / quantity) and aggregate windows disagree",
      });
    }
    if (row.posted.unposted > 0) {
      differences.push({
        ...where,
        check: "aggregates_vs_posted",
        expected: `${countOf(row.aggregates.closed, "closed window")} posted`,
        actual: `${row.posted.unposted} not posted`,
        explanation: "closed windows whose posting is pending, held for approval or failed",
      });
    }
    // An ERP whose documents name no currency is compared by amount alone.
    const otherCurrency =
      row.erp &&
      row.erp.currencies.length > 0 &&
      (row.erp.currencies.length !== row.posted.currencies.length ||
        row.erp.currencies.some((currency) => !row.posted.currencies.includes(currency)));
    if (
      row.erp &&
      (row.erp.missing > 0 ||
        !new Decimal(row.erp.amount).eq(row.posted.amount) ||
        row.erp.lines !== row.posted.lines ||
        otherCurrency)
    ) {
      differences.push({
        ...where,
        check: "posted_vs_erp",
        expected: described(row.posted),
        actual: `${described(row.erp)}${row.erp.missing ? `, ${countOf(row.erp.missing, "document")} missing` : ""}`,
        explanation: "what we recorded as posted differs from what the ERP holds",
      });
    }
  }
  return { rows: sorted, differences };
}

/** The decimal places an amount is written with ("150.00": 2), or needs (1e-7: 7). */
function decimalPlaces(amount: string): number {
  const written = /^-?\d*\.(\d+)$/.exec(amount)?.[1]?.length ?? 0;
  return Math.max(written, new Decimal(amount).decimalPlaces());
}

/** "1 line, 200.00 EUR" */
function described(side: { lines: number; amount: string; currencies: string[] }): string {
  return `${countOf(side.lines, "line")}, ${[side.amount, ...side.currencies].join(" ")}`;
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Asks an ERP sandbox-compatible endpoint for the invoice posted with an idempotency key. */
export function erpSandboxLookup(baseUrl: string, fetchImpl: typeof fetch = fetch): ErpLookup {
  return async (idempotencyKey) => {
    const response = await fetchImpl(
      `${baseUrl.replace(/\/$/, "")}/invoices?idempotencyKey=${encodeURIComponent(idempotencyKey)}`,
    );
    if (!response.ok)
      throw new Error(`The ERP answered ${response.status} when asked for the invoice with key ${idempotencyKey}`);
    const body = (await response.json()) as {
      invoices: { id: string; currency: string; lines: { quantity: string; amount: string }[] }[];
    };
    return body.invoices[0];
  };
}
