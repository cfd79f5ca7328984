import { sql } from "drizzle-orm";
import { insertExceptions, jsonList, jsonRecords, rowsOf, type Database, type ExceptionKind } from "@meterflow/db";
import { eventIdentity, eventKey, type CloudEvent, type EventOutcome } from "@meterflow/engine";
import { activeDeployments, holdDeployment, planFor, versionsSharingState, type Deployment } from "./deployments";
import { commitRuns, runOnPartitions, type PartitionRun } from "./partition-run";
import { tryPartitionLock, windowsTakenElsewhere, type RunTarget } from "./runtime-store";

export interface ProcessOptions {
  /** Events per micro-batch, over all its partitions. */
  batchSize?: number;
  /** Partitions one micro-batch may take (many tenants with a few events each share one). */
  partitions?: number;
  now?: () => Date;
}

export interface BatchReport {
  partitions: number;
  events: number;
  outcomes: Record<EventOutcome, number>;
}

const severity: Record<EventOutcome, number> = { validated: 0, duplicate: 1, exception: 2 };

/**
 * Claims the partitions (tenants) with pending events (their head past their cursor) that were
 * processed longest ago and that no other runtime process holds, takes their next events in
 * (xid, seq) order, up to `batchSize` in all, runs every active deployment's plan over each
 * partition's events and commits records, window state, dedupe keys, exceptions, approvals, the
 * outbox, lineage, outcomes and the partitions' new cursors in one transaction. Returns undefined
 * when there is nothing to claim.
 */
export async function processNextBatch(db: Database, options: ProcessOptions = {}): Promise<BatchReport | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await processBatchOnce(db, options);
    } catch (error) {
      // Rolled back whole: the batch is taken again, under the deployment now active.
      if (!(error instanceof DeploymentChangedError) || attempt === 3) throw error;
    }
  }
}

/** A deployment was replaced or stopped while a batch ran on it. */
export class DeploymentChangedError extends Error {}

async function processBatchOnce(db: Database, options: ProcessOptions): Promise<BatchReport | undefined> {
  const batchSize = options.batchSize ?? 1000;
  const now = options.now?.() ?? new Date();
  return db.transaction(async (tx) => {
    const claimed = await claimPartitions(tx, batchSize, options.partitions ?? 100);
    if (claimed.length === 0) return undefined;
    const outcomes: Record<EventOutcome, number> = { validated: 0, duplicate: 0, exception: 0 };
    // Usage records made per workspace and partition: counted with the cursors, in their statement.
    const recordsTallies = new Map<string, Map<string, number>>();
    for (const workspaceId of new Set(claimed.map((partition) => partition.workspaceId))) {
      const partitions = claimed.filter((partition) => partition.workspaceId === workspaceId);
      const recordsTally = new Map<string, number>();
      recordsTallies.set(workspaceId, recordsTally);
      for (const outcome of (await processEvents(tx, workspaceId, partitions, now, { recordsTally })).values())
        outcomes[outcome] += 1;
    }
    await moveCursors(tx, claimed, recordsTallies);
    return {
      partitions: claimed.length,
      events: claimed.reduce((total, partition) => total + partition.rows.length, 0),
      outcomes,
    };
  });
}

/** A claimed raw event: its order, and its envelope (which holds its source, id and type). */
export interface ClaimedEvent {
  seq: number;
  envelope: CloudEvent;
}

interface ClaimedPartition {
  workspaceId: string;
  partitionKey: string;
  /** In (xid, seq) order: the partition's next pending events. */
  rows: (ClaimedEvent & { xid: string })[];
}

/** Events raised as exceptions by the runtime itself, not by a flow's nodes; by a deployment's window check, or by none accepting them. */
type Refusal = { row: ClaimedEvent; kind: ExceptionKind; reason: string; deployment?: Deployment };

/**
 * Runs every active deployment's plan over the events of partitions of one workspace, which the
 * caller holds, and commits what they produced; writes back the outcomes other than validated (an
 * event no deployment accepts becomes a routing exception, one that went into a window its
 * partition may not write an invalid or late event, naming the deployment). `onlyFlow` limits the
 * runs to one flow's deployment: a retry of what that flow refused, which the others processed.
 * Returns each event's outcome by seq.
 */
export async function processEvents(
  tx: Database,
  workspaceId: string,
  partitions: readonly { partitionKey: string; rows: readonly ClaimedEvent[] }[],
  now: Date,
  options: { onlyFlow?: string; recordsTally?: Map<string, number> } = {},
): Promise<Map<number, EventOutcome>> {
  const deployed = (await activeDeployments(tx, workspaceId)).filter(
    (deployment) => !options.onlyFlow || deployment.flowId === options.onlyFlow,
  );
  const rows = partitions.flatMap((partition) => partition.rows);
  const seqByKey = new Map(rows.map((row) => [eventKey(row.envelope), row.seq]));
  const outcomeOf = new Map<number, EventOutcome>();
  const accepted = new Set<number>();
  const refusals: Refusal[] = [];

  for (const deployment of deployed) {
    const plan = await planFor(tx, deployment.flowVersionId);
    const batches = new Map<string, readonly ClaimedEvent[]>();
    for (const { partitionKey, rows: events } of partitions) {
      const batch = events.filter((row) => plan.accepts(row.envelope));
      if (batch.length > 0) batches.set(partitionKey, batch);
    }
    if (batches.size === 0) continue;
    for (const batch of batches.values()) batch.forEach((row) => accepted.add(row.seq));
    const runOn = (keys: Iterable<string>) =>
      runOnPartitions(
        tx,
        [...keys].map(
          (partitionKey): RunTarget => ({
            workspaceId,
            flowVersionId: deployment.flowVersionId,
            deploymentId: deployment.id,
            partitionKey,
            plan,
            now,
          }),
        ),
        (target, context) =>
          plan.run(
            batches.get(target.partitionKey)!.map((row) => row.envelope),
            context,
          ),
      );
    let runs = await runOn(batches.keys());
    const refused = await eventsOfWindowsTakenElsewhere(tx, deployment, runs, seqByKey);
    if (refused.size > 0) {
      // The partitions that lose events run again without them; the others' runs stand.
      const rerun = new Set<string>();
      for (const [partitionKey, batch] of batches) {
        const kept = batch.filter((row) => !refused.has(row.seq));
        if (kept.length === batch.length) continue;
        for (const row of batch) if (refused.has(row.seq)) refusals.push({ row, ...refused.get(row.seq)!, deployment });
        rerun.add(partitionKey);
        if (kept.length > 0) batches.set(partitionKey, kept);
        else batches.delete(partitionKey);
      }
      runs = [
        ...runs.filter((run) => !rerun.has(run.target.partitionKey)),
        ...(await runOn([...rerun].filter((key) => batches.has(key)))),
      ];
    }
    // Shared with other batches; a deploy's update of the row waits for it, so a deploy that
    // takes this deployment's windows over sees every window this batch writes under it.
    if ((await holdDeployment(tx, deployment.id)) !== "active")
      throw new DeploymentChangedError(`Deployment ${deployment.id} was replaced while a batch ran on it`);
    await commitRuns(tx, runs, seqByKey, { recordsTally: options.recordsTally });
    for (const { effects } of runs) {
      for (const { event, outcome } of effects.outcomes) {
        const seq = seqByKey.get(event);
        if (seq === undefined) continue;
        const previous = outcomeOf.get(seq);
        if (previous === undefined || severity[outcome] > severity[previous]) outcomeOf.set(seq, outcome);
      }
    }
  }

  for (const row of rows) {
    if (!accepted.has(row.seq))
      refusals.push({
        row,
        kind: "routing",
        reason: `No deployed flow accepts events of type "${row.envelope.type}" from "${row.envelope.source}"`,
      });
  }
  if (refusals.length > 0) {
    await insertExceptions(
      tx,
      refusals.map(({ row, kind, reason, deployment }) => ({
        workspaceId,
        kind,
        reason,
        deploymentId: deployment?.id ?? null,
        flowVersionId: deployment?.flowVersionId ?? null,
        eventSeq: row.seq,
        eventKeys: [eventKey(row.envelope)],
        payload: row.envelope,
        history: [{ at: now.toISOString(), actor: "runtime", action: "raised", comment: reason }],
      })),
    );
    refusals.forEach(({ row }) => outcomeOf.set(row.seq, "exception"));
  }

  for (const outcome of ["duplicate", "exception"] as const) {
    const seqs = rows.filter((row) => outcomeOf.get(row.seq) === outcome).map((row) => row.seq);
    if (seqs.length > 0)
      await tx.execute(sql`update events_raw set outcome = ${outcome} where seq in ${jsonList(seqs, "bigint")}`);
  }
  for (const row of rows) if (!outcomeOf.has(row.seq)) outcomeOf.set(row.seq, "validated");
  return outcomeOf;
}

/**
 * Events that went into windows their partition may not write: a window another partition keeps
 * open (a tenant's events under two partition keys, e.g. a flow grouping by something other than
 * the tenant), whose state the run could not see and would overwrite; or a window already closed
 * and summarised, which a second summary cannot join. Two partitions of this batch opening the
 * same window count too: the first keeps it. By seq, with the exception to raise. Looked up only
 * for windows a run opened, which a partition's own open windows never are.
 */
async function eventsOfWindowsTakenElsewhere(
  tx: Database,
  deployment: Deployment,
  runs: readonly PartitionRun[],
  seqByKey: ReadonlyMap<string, number>,
) {
  const opened = runs.flatMap(({ target, effects, loaded }) =>
    effects.windowUpdates
      .filter((update) => !loaded.windows.get(update.nodeId)?.has(update.key))
      .map((update) => ({ ...update, partitionKey: target.partitionKey })),
  );
  const refused = new Map<number, { kind: ExceptionKind; reason: string }>();
  if (opened.length === 0) return refused;
  const holders = new Map<string, { partitionKey: string | null; closed: boolean }>();
  for (const row of await windowsTakenElsewhere(
    tx,
    deployment.id,
    (await versionsSharingState(tx, deployment.flowVersionId)).versions,
    opened,
  ))
    holders.set(`${row.node_id}\u0000${row.window_key}`, { partitionKey: row.partition_key, closed: row.closed });
  for (const update of opened) {
    const id = `${update.nodeId}\u0000${update.key}`;
    const holder = holders.get(id);
    if (!holder) {
      holders.set(id, { partitionKey: update.partitionKey, closed: false });
      continue;
    }
    if (!holder.closed && holder.partitionKey === update.partitionKey) continue;
    const window = `the ${update.nodeId} window from ${update.start} for ${JSON.stringify(update.group)}`;
    const problem = holder.closed
      ? {
          kind: "late_event" as const,
          reason: `${window} was closed and summarised already${holder.partitionKey && holder.partitionKey !== update.partitionKey ? ` (in partition "${holder.partitionKey}")` : ""}`,
        }
      : {
          kind: "invalid_event" as const,
          reason: `${window} is kept by partition "${holder.partitionKey}", and this event is in partition "${update.partitionKey}": a window's events must share a partition (data.tenantId, else the subject, else the source)`,
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

/**
 * Takes up to `limit` partitions with pending events, oldest processed first, that no other
 * worker holds, and reads their next events, `batchSize` in all: a partition's events are always
 * the first ones after its cursor, and each partition read comes whole before the next begins,
 * so a partition cut short by the batch size is only shorter. Three statements however many
 * partitions, and one more each time the partitions tried were all held by other workers.
 */
async function claimPartitions(tx: Database, batchSize: number, limit: number): Promise<ClaimedPartition[]> {
  // No row lock: ingestion moves heads on these rows and must not wait for a batch. The
  // advisory locks below are what make partitions this worker's.
  const listed = await rowsOf<{ w: string; p: string; pending: string | number }>(
    tx,
    sql`select p.workspace_id as w, p.partition_key as p, p.pending from runtime_partitions p
        where (p.head_xid, p.head_seq) > (p.cursor_xid, p.cursor_seq) and p.head_xid < ${settled}
          and exists (select 1 from deployments d where d.workspace_id = p.workspace_id and d.status = 'active')
        order by p.processed_at nulls first
        limit ${limit}`,
  );
  // Only as many partitions as fill the batch are locked (a partition locked but not read would
  // be kept from the other workers until this transaction ends); when others hold some, the next
  // candidates are tried.
  const locked: { w: string; p: string }[] = [];
  let filled = 0;
  for (let next = 0; next < listed.length && (locked.length === 0 || filled < batchSize); ) {
    const tried: typeof listed = [];
    for (let planned = filled; next < listed.length && (tried.length === 0 || planned < batchSize); next += 1) {
      tried.push(listed[next]!);
      planned += Number(listed[next]!.pending);
    }
    const got = await rowsOf<{ w: string; p: string; pending: string | number }>(
      tx,
      sql`select w, p, pending from ${jsonRecords(tried, "w text, p text, pending bigint")} where ${tryPartitionLock(sql`w`, sql`p`)}`,
    );
    for (const { w, p, pending } of got) {
      locked.push({ w, p });
      filled += Number(pending);
    }
  }
  if (locked.length === 0) return [];
  // Cursors are read under the locks: a worker that just let a partition go has moved its cursor.
  // Per event only what the envelope does not hold comes back (its partition as a position in
  // `locked`, its order): source, id and type were stored from the envelope and are read from it
  // (fewer columns cut this read's Node time per event by 40%).
  const rows = await rowsOf<{ i: number; seq: string | number; xid: string; envelope: CloudEvent }>(
    tx,
    sql`select r.i, e.seq, e.xid::text as xid, e.envelope
        from ${jsonRecords(
          locked.map(({ w, p }, i) => ({ w, p, i })),
          "w text, p text, i int",
        )}
        join runtime_partitions p on p.workspace_id = r.w and p.partition_key = r.p
        cross join lateral (
          select seq, xid, envelope from events_raw
          where workspace_id = p.workspace_id and partition_key = p.partition_key
            and (xid, seq) > (p.cursor_xid, p.cursor_seq) and xid < ${settled}
          order by xid, seq
          limit ${batchSize}
        ) e
        limit ${batchSize}`,
  );
  const partitions = new Map<number, ClaimedPartition>();
  for (const { i, seq, xid, envelope } of rows) {
    let partition = partitions.get(i);
    if (!partition)
      partitions.set(i, (partition = { workspaceId: locked[i]!.w, partitionKey: locked[i]!.p, rows: [] }));
    partition.rows.push({ seq: Number(seq), xid, envelope });
  }
  return [...partitions.values()];
}

/**
 * Moves each partition's cursor to its last processed event and counts the usage records made
 * from its events. Rows are locked in key order, as ingestion locks heads, so the two never
 * deadlock.
 */
async function moveCursors(
  tx: Database,
  partitions: readonly ClaimedPartition[],
  recordsTallies: ReadonlyMap<string, ReadonlyMap<string, number>>,
): Promise<void> {
  const cursors = partitions.map((partition) => {
    const last = partition.rows[partition.rows.length - 1]!;
    const records = recordsTallies.get(partition.workspaceId)?.get(partition.partitionKey) ?? 0;
    return {
      w: partition.workspaceId,
      p: partition.partitionKey,
      xid: last.xid,
      seq: last.seq,
      n: partition.rows.length,
      u: records,
    };
  });
  await tx.execute(sql`with cursor as (select * from ${jsonRecords(cursors, "w text, p text, xid text, seq bigint, n bigint, u bigint")}),
      locked as (
        select p.workspace_id, p.partition_key from runtime_partitions p join cursor c on c.w = p.workspace_id and c.p = p.partition_key
        order by p.workspace_id, p.partition_key for update of p
      )
    update runtime_partitions p set cursor_xid = c.xid::xid8, cursor_seq = c.seq, pending = greatest(p.pending - c.n, 0), usage_records = p.usage_records + c.u, processed_at = now()
    from cursor c, locked l
    where p.workspace_id = c.w and p.partition_key = c.p and l.workspace_id = c.w and l.partition_key = c.p`);
}
