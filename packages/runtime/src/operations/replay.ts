import { and, asc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import {
  appendAudit,
  canonicalObjects,
  addUsageRecordCounts,
  eventOutcome,
  eventsRaw,
  exceptions,
  flowVersions,
  jsonList,
  jsonRecords,
  postings,
  rowsOf,
  usageRecords,
  usageSummaries,
  type Database,
  type AuditActor,
} from "@meterflow/db";
import { canonicalJson } from "@meterflow/flow-spec";
import { eventKey, memoryContext, type CloudEvent, type Effects } from "@meterflow/engine";
import { planFor, versionsSharingState } from "../processing/deployments";
import { referenceDataOf } from "../processing/partition-run";
import { persistEffects } from "../processing/runtime-store";

export interface ReplayInput {
  workspaceId: string;
  flowVersionId: string;
  /** Event time range, [from, to). Whole rating periods: windows cut by the range are reported, not posted. */
  from: Date;
  to: Date;
  tenant?: string;
  mode: "dry_run" | "backfill";
  actor: AuditActor;
  now?: Date;
  /** Most events one replay reads. */
  limit?: number;
}

export interface ReplayDifference {
  kind:
    | "outcome"
    | "record_missing"
    | "record_quantity"
    | "summary_missing"
    | "summary_quantity"
    | "posting_missing"
    | "posting_request";
  key: string;
  produced: unknown;
  replayed: unknown;
}

/**
 * Re-runs stored raw events of a time range (and tenant) through a chosen flow version, per
 * partition, with fresh state. A dry run returns the effects and every difference from what was
 * produced, and stores nothing. A backfill stores what is missing: records and exceptions no
 * version of the flow made of these events, and the windows no version keying them alike
 * summarised or keeps open (with what follows them: rating, approvals, postings); so a backfill,
 * through this version or another, never bills a period twice.
 */
export async function replayEvents(db: Database, input: ReplayInput) {
  const now = input.now ?? new Date();
  const plan = await planFor(db, input.flowVersionId);
  const rows = await db
    .select({
      seq: eventsRaw.seq,
      source: eventsRaw.source,
      eventId: eventsRaw.eventId,
      partitionKey: eventsRaw.partitionKey,
      envelope: eventsRaw.envelope,
      outcome: eventOutcome,
    })
    .from(eventsRaw)
    .where(
      and(
        eq(eventsRaw.workspaceId, input.workspaceId),
        gte(eventsRaw.time, input.from),
        lt(eventsRaw.time, input.to),
        input.tenant ? eq(eventsRaw.partitionKey, input.tenant) : undefined,
      ),
    )
    .orderBy(asc(eventsRaw.seq))
    .limit(input.limit ?? 200_000);
  const reference = await referenceDataOf(db, input.workspaceId, true);
  const partitions = new Map<string, typeof rows>();
  for (const row of rows) {
    const events = partitions.get(row.partitionKey);
    if (events) events.push(row);
    else partitions.set(row.partitionKey, [row]);
  }

  const aggregates = plan.document.nodes.filter((node) => node.type === "aggregate").map((node) => node.id);
  const opened: {
    partitionKey: string;
    run: Effects;
    context: ReturnType<typeof memoryContext>;
    partialWindows: string[];
  }[] = [];
  for (const [partitionKey, events] of partitions) {
    const context = memoryContext(reference);
    const run = plan.run(
      events.map((row) => row.envelope as CloudEvent),
      context,
    );
    const partialWindows: string[] = [];
    for (const nodeId of aggregates) {
      for (const window of context.windows.list(nodeId)) {
        if (Date.parse(window.start) < input.from.getTime() || Date.parse(window.end) > input.to.getTime()) {
          partialWindows.push(`${nodeId}:${window.key}`);
          context.windows.delete(nodeId, window.key);
        }
      }
    }
    opened.push({ partitionKey, run, context, partialWindows });
  }
  // A backfill does not close a window this version, or another that keys windows alike,
  // summarised already (its summary may be invoiced: a second would bill the period twice) or that
  // a deployment keeps open (it bills the window when it closes). A dry run closes it, to compare.
  const taken = await windowsTaken(
    db,
    input.flowVersionId,
    opened.flatMap(({ context }) =>
      aggregates.flatMap((nodeId) => context.windows.list(nodeId).map((window) => ({ nodeId, key: window.key }))),
    ),
  );
  const runs = opened.map(({ partitionKey, run, context, partialWindows }) => {
    for (const nodeId of aggregates) {
      for (const window of context.windows.list(nodeId)) {
        const key = `${nodeId}:${window.key}`;
        if (input.mode === "backfill" && (taken.summarised.has(key) || taken.open.has(key)))
          context.windows.delete(nodeId, window.key);
      }
    }
    return { partitionKey, run, closed: plan.closeWindows(context, { watermark: now.toISOString() }), partialWindows };
  });

  const all = <K extends "records" | "summaries" | "postings" | "exceptions" | "approvals">(key: K): Effects[K] =>
    runs.flatMap((entry) => [...entry.run[key], ...entry.closed[key]]) as Effects[K];
  const outcomes = runs.flatMap((entry) => entry.run.outcomes);
  const summary = {
    mode: input.mode,
    flowVersionHash: plan.hash,
    events: rows.length,
    outcomes: {
      validated: outcomes.filter((entry) => entry.outcome === "validated").length,
      duplicate: outcomes.filter((entry) => entry.outcome === "duplicate").length,
      exception: outcomes.filter((entry) => entry.outcome === "exception").length,
    },
    records: all("records").length,
    summaries: all("summaries").map(({ nodeId, window }) => ({
      nodeId,
      key: window.key,
      group: window.group,
      start: window.start,
      measures: window.measures,
      count: window.count,
    })),
    postings: all("postings").map((posting) => ({
      idempotencyKey: posting.idempotencyKey,
      endpoint: posting.endpoint,
      operation: posting.operation,
      request: posting.request,
    })),
    approvals: all("approvals").length,
    exceptions: all("exceptions").map((exception) => ({
      kind: exception.kind,
      reason: exception.reason,
      itemId: exception.itemId,
    })),
    partialWindows: runs.flatMap((entry) => entry.partialWindows),
    /** Windows of the range summarised before (by this version or one keying windows alike), with the version that did: a backfill does not summarise or post them again. */
    alreadySummarised: [...taken.summarised].map(([window, versionNumber]) => ({ window, versionNumber })),
    /** Windows of the range a deployment keeps open, with its version: it summarises and bills them; a backfill leaves them to it. */
    openInRuntime: [...taken.open].map(([window, versionNumber]) => ({ window, versionNumber })),
  };

  if (input.mode === "dry_run") {
    return { ...summary, differences: await compareWithProduced(db, input, rows, runs), stored: null };
  }

  const stored = { records: 0, summaries: 0, postings: 0 };
  await db.transaction(async (tx) => {
    const seqs = new Map(rows.map((row) => [eventKey({ source: row.source, id: row.eventId }), row.seq]));
    // What any version of the flow made of these events already stays as it is: a backfill adds
    // what is missing (records, exceptions), never a second copy under another version.
    const versions = (
      await tx
        .select({ id: flowVersions.id })
        .from(flowVersions)
        .where(
          eq(flowVersions.flowId, sql`(select flow_id from flow_versions where id = ${input.flowVersionId}::uuid)`),
        )
    ).map((version) => version.id);
    const knownExceptions = new Set(
      (
        await tx
          .select({ itemId: exceptions.itemId })
          .from(exceptions)
          .where(and(eq(exceptions.workspaceId, input.workspaceId), inArray(exceptions.flowVersionId, versions)))
      ).map((row) => row.itemId),
    );
    const recordKeys = runs.flatMap(({ run }) => run.records.map((record) => record.id));
    const knownRecords = new Set(
      recordKeys.length === 0
        ? []
        : [
            ...(await tx
              .select({ key: usageRecords.recordKey })
              .from(usageRecords)
              .where(
                and(
                  inArray(usageRecords.flowVersionId, versions),
                  sql`${usageRecords.recordKey} in ${jsonList(recordKeys)}`,
                ),
              )),
            ...(await tx
              .select({ key: canonicalObjects.recordKey })
              .from(canonicalObjects)
              .where(
                and(
                  inArray(canonicalObjects.flowVersionId, versions),
                  sql`${canonicalObjects.recordKey} in ${jsonList(recordKeys)}`,
                ),
              )),
          ].map((row) => row.key),
    );
    // Records made, counted per partition once at the end: in key order, and holding the
    // partitions' rows (which ingestion moves heads in) only from there to the commit.
    const recordsTally = new Map<string, number>();
    for (const { partitionKey, run, closed } of runs) {
      const target = {
        workspaceId: input.workspaceId,
        flowVersionId: input.flowVersionId,
        deploymentId: null,
        partitionKey,
        plan,
        now,
      };
      const records = run.records.filter((record) => !knownRecords.has(record.id));
      for (const effects of [{ ...run, records }, closed]) {
        await persistEffects(
          tx,
          [
            {
              target,
              effects: {
                ...effects,
                exceptions: effects.exceptions.filter((exception) => !knownExceptions.has(exception.itemId)),
              },
            },
          ],
          seqs,
          { recordsTally },
        );
      }
      stored.records += records.length;
      stored.summaries += closed.summaries.length;
      stored.postings += closed.postings.length;
    }
    await addUsageRecordCounts(tx, input.workspaceId, recordsTally);
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "replay.backfill",
      entityType: "flow_version",
      entityId: input.flowVersionId,
      details: {
        from: input.from.toISOString(),
        to: input.to.toISOString(),
        tenant: input.tenant ?? null,
        events: rows.length,
        postings: summary.postings.length,
      },
    });
  });
  return { ...summary, differences: [], stored };
}

async function compareWithProduced(
  db: Database,
  input: ReplayInput,
  rows: { seq: number; source: string; eventId: string; outcome: string | null }[],
  runs: { run: Effects; closed: Effects }[],
): Promise<ReplayDifference[]> {
  const differences: ReplayDifference[] = [];
  const seqByKey = new Map(rows.map((row) => [eventKey({ source: row.source, id: row.eventId }), row]));
  for (const { run } of runs) {
    for (const { event, outcome } of run.outcomes) {
      const produced = seqByKey.get(event)?.outcome ?? null;
      if (produced !== outcome) differences.push({ kind: "outcome", key: event, produced, replayed: outcome });
    }
  }
  const seqs = rows.map((row) => row.seq);
  const storedRecords =
    seqs.length > 0
      ? await db
          .select({ eventSeq: usageRecords.eventSeq, quantity: usageRecords.quantity })
          .from(usageRecords)
          .where(sql`${usageRecords.eventSeq} in ${jsonList(seqs, "bigint")}`)
      : [];
  const recordBySeq = new Map(storedRecords.map((record) => [record.eventSeq, record]));
  for (const { run } of runs) {
    for (const record of run.records) {
      const seq = seqByKey.get(record.events[0] ?? "")?.seq;
      const stored = seq === undefined ? undefined : recordBySeq.get(seq);
      const quantity = String((record.payload as { quantity?: unknown }).quantity ?? "");
      if (!stored)
        differences.push({
          kind: "record_missing",
          key: record.events[0] ?? record.id,
          produced: null,
          replayed: quantity,
        });
      else if (Number(stored.quantity) !== Number(quantity))
        differences.push({
          kind: "record_quantity",
          key: record.events[0] ?? record.id,
          produced: stored.quantity,
          replayed: quantity,
        });
    }
  }
  for (const { closed } of runs) {
    for (const { nodeId, window } of closed.summaries) {
      const [stored] = await db
        .select({ quantity: usageSummaries.quantity, eventCount: usageSummaries.eventCount })
        .from(usageSummaries)
        .where(
          and(
            eq(usageSummaries.workspaceId, input.workspaceId),
            eq(usageSummaries.nodeId, nodeId),
            eq(usageSummaries.windowKey, window.key),
          ),
        )
        .limit(1);
      const key = `${nodeId}:${window.key}`;
      if (!stored)
        differences.push({
          kind: "summary_missing",
          key,
          produced: null,
          replayed: { quantity: window.measures.quantity, count: window.count },
        });
      else if (
        String(stored.quantity) !== String(window.measures.quantity ?? null) ||
        stored.eventCount !== window.count
      ) {
        differences.push({
          kind: "summary_quantity",
          key,
          produced: stored,
          replayed: { quantity: window.measures.quantity, eventCount: window.count },
        });
      }
    }
    for (const posting of closed.postings) {
      const [stored] = await db
        .select({ request: postings.request })
        .from(postings)
        .where(eq(postings.idempotencyKey, posting.idempotencyKey));
      if (!stored)
        differences.push({
          kind: "posting_missing",
          key: posting.idempotencyKey,
          produced: null,
          replayed: posting.request,
        });
      else if (canonicalJson(stored.request) !== canonicalJson(posting.request))
        differences.push({
          kind: "posting_request",
          key: posting.idempotencyKey,
          produced: stored.request,
          replayed: posting.request,
        });
    }
  }
  return differences;
}

/**
 * Of the given windows, those a version sharing this version's windows summarised, and those a
 * deployment of such a version keeps open (it will summarise them): `node:key` -> that version's number.
 */
async function windowsTaken(db: Database, flowVersionId: string, windows: readonly { nodeId: string; key: string }[]) {
  const taken = { summarised: new Map<string, number>(), open: new Map<string, number>() };
  if (windows.length === 0) return taken;
  const { versions } = await versionsSharingState(db, flowVersionId);
  const sharing = windows.flatMap(({ nodeId, key }) =>
    (versions.get(nodeId) ?? []).map((versionId) => ({ node_id: nodeId, window_key: key, flow_version_id: versionId })),
  );
  const rows = await rowsOf<{ node_id: string; window_key: string; number: number; open: boolean }>(
    db,
    sql`with sharing as (select * from ${jsonRecords(sharing, "node_id text, window_key text, flow_version_id uuid")})
        select s.node_id, s.window_key, v.number, false as open from sharing join usage_summaries s using (flow_version_id, node_id, window_key) join flow_versions v on v.id = s.flow_version_id
        union all
        select w.node_id, w.window_key, v.number, true from sharing h join deployments d on d.flow_version_id = h.flow_version_id
          join runtime_windows w on w.deployment_id = d.id and w.node_id = h.node_id and w.window_key = h.window_key join flow_versions v on v.id = d.flow_version_id`,
  );
  for (const row of rows)
    (row.open ? taken.open : taken.summarised).set(`${row.node_id}:${row.window_key}`, row.number);
  return taken;
}
