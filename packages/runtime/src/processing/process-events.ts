import { sql } from "drizzle-orm";
import { exceptions, jsonList, rowsOf, type Database, type ExceptionKind } from "@meterflow/db";
import { eventIdentity, eventKey, type CloudEvent, type Effects, type EventOutcome } from "@meterflow/engine";
import { activeDeployments, planFor } from "./deployments";
import { commitRun, runOnPartition } from "./partition-run";
import type { LoadedState } from "./runtime-context";
import { tryLockPartition, windowsTakenElsewhere, type RunTarget } from "./runtime-store";

export interface ProcessOptions {
  /** Events per micro-batch. */
  batchSize?: number;
  now?: () => Date;
}

export interface BatchReport {
  workspaceId: string;
  partitionKey: string;
  events: number;
  outcomes: Record<EventOutcome, number>;
}

const severity: Record<EventOutcome, number> = { validated: 0, duplicate: 1, exception: 2 };

/**
 * Claims the partition (tenant) with pending events (its head past its cursor) that was processed
 * longest ago and that no other runtime process holds, takes its next events in (xid, seq) order,
 * runs every active deployment's plan over them and commits records, window state, dedupe keys,
 * exceptions, approvals, the outbox, lineage, outcomes and the partition's new cursor in one
 * transaction. Returns undefined when there is nothing to claim.
 */
export async function processNextBatch(db: Database, options: ProcessOptions = {}): Promise<BatchReport | undefined> {
  const batchSize = options.batchSize ?? 1000;
  const now = options.now?.() ?? new Date();
  return db.transaction(async (tx) => {
    const claimed = await claimPartition(tx, batchSize);
    if (!claimed) return undefined;
    const { workspaceId, partitionKey, rows } = claimed;
    const outcomeOf = await processEvents(tx, workspaceId, partitionKey, rows, now);
    const last = rows[rows.length - 1]!;
    await tx.execute(sql`update runtime_partitions set cursor_xid = ${last.xid}::xid8, cursor_seq = ${last.seq}, processed_at = now()
      where workspace_id = ${workspaceId} and partition_key = ${partitionKey}`);
    const outcomes: Record<EventOutcome, number> = { validated: 0, duplicate: 0, exception: 0 };
    for (const outcome of outcomeOf.values()) outcomes[outcome] += 1;
    return { workspaceId, partitionKey, events: rows.length, outcomes };
  });
}

export interface ClaimedEvent {
  seq: number;
  source: string;
  eventId: string;
  type: string;
  envelope: CloudEvent;
}

/**
 * Runs every active deployment's plan over events of one partition, which the caller holds, and
 * commits what they produced; writes back the outcomes other than validated (an event no
 * deployment accepts becomes a routing exception, one that went into a window this partition may
 * not write an invalid or late event). Returns each event's outcome by seq.
 */
export async function processEvents(tx: Database, workspaceId: string, partitionKey: string, rows: readonly ClaimedEvent[], now: Date): Promise<Map<number, EventOutcome>> {
  const deployed = await activeDeployments(tx, workspaceId);
  const seqByKey = new Map(rows.map((row) => [eventKey({ source: row.source, id: row.eventId }), row.seq]));
  const outcomeOf = new Map<number, EventOutcome>();
  const accepted = new Set<number>();
  /** Events raised as exceptions by the runtime itself, not by a flow's nodes. */
  const refusals: { row: ClaimedEvent; kind: ExceptionKind; reason: string }[] = [];

  for (const deployment of deployed) {
    const plan = await planFor(tx, deployment.flowVersionId);
    const batch = rows.filter((row) => plan.accepts({ type: row.type, source: row.source }));
    if (batch.length === 0) continue;
    batch.forEach((row) => accepted.add(row.seq));
    const target = { workspaceId, flowVersionId: deployment.flowVersionId, deploymentId: deployment.id, partitionKey, plan, now };
    const runOn = (events: readonly ClaimedEvent[]) => runOnPartition(tx, target, (context) => plan.run(events.map((row) => row.envelope), context));
    let run = await runOn(batch);
    const refused = await eventsOfWindowsTakenElsewhere(tx, target, run, seqByKey);
    if (refused.size > 0) {
      refusals.push(...batch.flatMap((row) => (refused.has(row.seq) ? [{ row, ...refused.get(row.seq)! }] : [])));
      const kept = batch.filter((row) => !refused.has(row.seq));
      if (kept.length === 0) continue;
      run = await runOn(kept);
    }
    const { effects, changes } = run;
    await commitRun(tx, target, changes, effects, seqByKey);
    for (const { event, outcome } of effects.outcomes) {
      const seq = seqByKey.get(event);
      if (seq === undefined) continue;
      const previous = outcomeOf.get(seq);
      if (previous === undefined || severity[outcome] > severity[previous]) outcomeOf.set(seq, outcome);
    }
  }

  for (const row of rows) {
    if (!accepted.has(row.seq)) refusals.push({ row, kind: "routing", reason: `No deployed flow accepts events of type "${row.type}" from "${row.source}"` });
  }
  if (refusals.length > 0) {
    await tx.insert(exceptions).values(
      refusals.map(({ row, kind, reason }) => ({
        workspaceId,
        kind,
        reason,
        eventSeq: row.seq,
        eventKeys: [eventKey({ source: row.source, id: row.eventId })],
        payload: row.envelope,
        history: [{ at: now.toISOString(), actor: "runtime", action: "raised", comment: reason }],
      })),
    );
    refusals.forEach(({ row }) => outcomeOf.set(row.seq, "exception"));
  }

  for (const outcome of ["duplicate", "exception"] as const) {
    const seqs = rows.filter((row) => outcomeOf.get(row.seq) === outcome).map((row) => row.seq);
    if (seqs.length > 0) await tx.execute(sql`update events_raw set outcome = ${outcome} where seq in ${jsonList(seqs, "bigint")}`);
  }
  for (const row of rows) if (!outcomeOf.has(row.seq)) outcomeOf.set(row.seq, "validated");
  return outcomeOf;
}

/**
 * Events that went into windows this partition may not write: a window another partition keeps
 * open (a tenant's events under two partition keys, e.g. a flow grouping by something other than
 * the tenant), whose state this run could not see and would overwrite; or a window already
 * closed and summarised, which a second summary cannot join. By seq, with the exception to raise.
 * Looked up only for windows the run opened, which a partition's own open windows never are.
 */
async function eventsOfWindowsTakenElsewhere(tx: Database, target: RunTarget & { deploymentId: string }, run: { effects: Effects; loaded: LoadedState }, seqByKey: ReadonlyMap<string, number>) {
  const opened = run.effects.windowUpdates.filter((update) => !run.loaded.windows.get(update.nodeId)?.has(update.key));
  const refused = new Map<number, { kind: ExceptionKind; reason: string }>();
  if (opened.length === 0) return refused;
  const taken = await windowsTakenElsewhere(tx, target, opened);
  if (taken.length === 0) return refused;
  for (const update of opened) {
    const holder = taken.find((row) => row.node_id === update.nodeId && row.window_key === update.key);
    if (!holder) continue;
    const window = `the ${update.nodeId} window from ${update.start} for ${JSON.stringify(update.group)}`;
    const problem = holder.closed
      ? { kind: "late_event" as const, reason: `${window} was closed and summarised already${holder.partition_key && holder.partition_key !== target.partitionKey ? ` (in partition "${holder.partition_key}")` : ""}` }
      : {
          kind: "invalid_event" as const,
          reason: `${window} is kept by partition "${holder.partition_key}", and this event is in partition "${target.partitionKey}": a window's events must share a partition (data.tenantId, else the subject, else the source)`,
        };
    for (const token of update.added) {
      const seq = seqByKey.get(eventIdentity(token));
      if (seq !== undefined) refused.set(seq, problem);
    }
  }
  return refused;
}

/**
 * Only events of transactions older than every running one are taken: an ingestion that commits
 * after a later one would otherwise land behind the cursor and never be processed.
 */
const settled = sql`pg_snapshot_xmin(pg_current_snapshot())`;

async function claimPartition(tx: Database, batchSize: number) {
  const busy: string[] = [];
  for (let attempt = 0; attempt < 8; attempt += 1) {
    // No row lock: ingestion moves heads on these rows and must not wait for a batch. The
    // advisory lock below is what makes a partition this worker's.
    const [candidate] = await rowsOf<{ workspace_id: string; partition_key: string }>(
      tx,
      sql`select p.workspace_id, p.partition_key from runtime_partitions p
          where (p.head_xid, p.head_seq) > (p.cursor_xid, p.cursor_seq) and p.head_xid < ${settled}
            and exists (select 1 from deployments d where d.workspace_id = p.workspace_id and d.status = 'active')
            ${busy.length > 0 ? sql`and not (p.workspace_id || '/' || p.partition_key) in ${jsonList(busy)}` : sql``}
          order by p.processed_at nulls first
          limit 1`,
    );
    if (!candidate) return undefined;
    const { workspace_id: workspaceId, partition_key: partitionKey } = candidate;
    if (!(await tryLockPartition(tx, workspaceId, partitionKey))) {
      busy.push(`${workspaceId}/${partitionKey}`);
      continue;
    }
    // The cursor is read under the lock: a worker that just let the partition go has moved it.
    const rows = await rowsOf<{ seq: string | number; xid: string; source: string; event_id: string; type: string; envelope: CloudEvent }>(
      tx,
      sql`select seq, xid::text as xid, source, event_id, type, envelope from events_raw
          where workspace_id = ${workspaceId} and partition_key = ${partitionKey}
            and (xid, seq) > (select cursor_xid, cursor_seq from runtime_partitions where workspace_id = ${workspaceId} and partition_key = ${partitionKey})
            and xid < ${settled}
          order by events_raw.xid, events_raw.seq
          limit ${batchSize}`,
    );
    if (rows.length === 0) {
      busy.push(`${workspaceId}/${partitionKey}`); // another worker took its events meanwhile
      continue;
    }
    return {
      workspaceId,
      partitionKey,
      rows: rows.map((row) => ({ seq: Number(row.seq), xid: row.xid, source: row.source, eventId: row.event_id, type: row.type, envelope: row.envelope })),
    };
  }
  return undefined;
}
