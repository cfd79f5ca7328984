import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import { eventsRaw, exceptions, jsonList, type Database } from "@meterflow/db";
import { eventKey, type CloudEvent, type EventOutcome } from "@meterflow/engine";
import { activeDeployments, planFor } from "./deployments";
import { commitRun, runOnPartition } from "./partition-run";
import { tryLockPartition, type RunTarget } from "./runtime-store";

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
 * Claims the oldest pending events of one partition (tenant) that no other runtime process holds,
 * runs every active deployment's plan over them and commits records, window state, dedupe keys,
 * exceptions, approvals, the outbox, lineage and the events' outcomes in one transaction. Returns
 * undefined when there is nothing to claim.
 */
export async function processNextBatch(db: Database, options: ProcessOptions = {}): Promise<BatchReport | undefined> {
  const batchSize = options.batchSize ?? 1000;
  const now = options.now?.() ?? new Date();
  return db.transaction(async (tx) => {
    const claimed = await claimPartition(tx, batchSize);
    if (!claimed) return undefined;
    const { workspaceId, partitionKey, rows } = claimed;
    const deployed = await activeDeployments(tx, workspaceId);
    const seqByKey = new Map(rows.map((row) => [eventKey({ source: row.source, id: row.eventId }), row.seq]));
    const outcomeOf = new Map<number, EventOutcome>();
    const accepted = new Set<number>();

    for (const deployment of deployed) {
      const plan = await planFor(tx, deployment.flowVersionId);
      const batch = rows.filter((row) => plan.accepts({ type: row.type, source: row.source }));
      if (batch.length === 0) continue;
      batch.forEach((row) => accepted.add(row.seq));
      const target: RunTarget = { workspaceId, flowVersionId: deployment.flowVersionId, deploymentId: deployment.id, partitionKey, plan, now };
      const { effects, changes } = await runOnPartition(tx, target, (context) =>
        plan.run(
          batch.map((row) => row.envelope),
          context,
        ),
      );
      await commitRun(tx, target, changes, effects, seqByKey);
      for (const { event, outcome } of effects.outcomes) {
        const seq = seqByKey.get(event);
        if (seq === undefined) continue;
        const previous = outcomeOf.get(seq);
        if (previous === undefined || severity[outcome] > severity[previous]) outcomeOf.set(seq, outcome);
      }
    }

    const unrouted = rows.filter((row) => !accepted.has(row.seq));
    if (unrouted.length > 0) {
      await tx.insert(exceptions).values(
        unrouted.map((row) => ({
          workspaceId,
          kind: "routing" as const,
          reason: `No deployed flow accepts events of type "${row.type}" from "${row.source}"`,
          eventSeq: row.seq,
          eventKeys: [eventKey({ source: row.source, id: row.eventId })],
          payload: row.envelope,
          history: [{ at: now.toISOString(), actor: "runtime", action: "raised" }],
        })),
      );
      unrouted.forEach((row) => outcomeOf.set(row.seq, "exception"));
    }

    const outcomes: Record<EventOutcome, number> = { validated: 0, duplicate: 0, exception: 0 };
    for (const outcome of Object.keys(outcomes) as EventOutcome[]) {
      const seqs = rows.filter((row) => outcomeOf.get(row.seq) === outcome).map((row) => row.seq);
      outcomes[outcome] = seqs.length;
      if (seqs.length > 0) {
        await tx.execute(sql`update events_raw set status = 'processed', outcome = ${outcome}, processed_at = ${now.toISOString()}::timestamptz
          where seq in ${jsonList(seqs, "bigint")}`);
      }
    }
    return { workspaceId, partitionKey, events: rows.length, outcomes };
  });
}

async function claimPartition(tx: Database, batchSize: number) {
  const busy: string[] = [];
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const [candidate] = await tx
      .select({ workspaceId: eventsRaw.workspaceId, partitionKey: eventsRaw.partitionKey })
      .from(eventsRaw)
      .where(
        and(
          eq(eventsRaw.status, "pending"),
          busy.length > 0 ? notInArray(sql`${eventsRaw.workspaceId} || '/' || ${eventsRaw.partitionKey}`, busy) : undefined,
          sql`exists (select 1 from deployments d where d.workspace_id = ${eventsRaw.workspaceId} and d.status = 'active')`,
        ),
      )
      .orderBy(asc(eventsRaw.seq))
      .limit(1)
      .for("update", { skipLocked: true });
    if (!candidate) return undefined;
    if (!(await tryLockPartition(tx, candidate.workspaceId, candidate.partitionKey))) {
      busy.push(`${candidate.workspaceId}/${candidate.partitionKey}`);
      continue;
    }
    const rows = await tx
      .select({ seq: eventsRaw.seq, source: eventsRaw.source, eventId: eventsRaw.eventId, type: eventsRaw.type, envelope: eventsRaw.envelope })
      .from(eventsRaw)
      .where(and(eq(eventsRaw.workspaceId, candidate.workspaceId), eq(eventsRaw.partitionKey, candidate.partitionKey), eq(eventsRaw.status, "pending")))
      .orderBy(asc(eventsRaw.seq))
      .limit(batchSize)
      .for("update", { skipLocked: true });
    return { ...candidate, rows: rows as (Omit<(typeof rows)[number], "envelope"> & { envelope: CloudEvent })[] };
  }
  return undefined;
}
