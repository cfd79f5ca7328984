import { and, eq, inArray, sql } from "drizzle-orm";
import {
  approvals,
  canonicalObjects,
  exceptions,
  lineage,
  postings,
  runtimeWatermarks,
  runtimeWindows,
  usageSummaries,
  jsonList,
  rowsOf,
  type Database,
} from "@meterflow/db";
import { durationMs, windowOf, type Effects, type FlowPlan, type WindowState } from "@meterflow/engine";
import { emptyState, type LoadedState, type StateChanges } from "./runtime-context";

/** Where a run's effects belong: the deployment (or a backfill of a version) and the partition. */
export interface RunTarget {
  workspaceId: string;
  flowVersionId: string;
  /** Null for backfills, which keep no runtime state. */
  deploymentId: string | null;
  partitionKey: string;
  plan: FlowPlan;
  /** The runtime's clock: new postings are due from this instant. */
  now?: Date;
}

/** Serialises work on one partition across runtime processes, until the transaction ends. */
export async function tryLockPartition(tx: Database, workspaceId: string, partitionKey: string): Promise<boolean> {
  const [row] = await tx
    .select({ locked: sql<boolean>`pg_try_advisory_xact_lock(hashtextextended(${`${workspaceId}/${partitionKey}`}, 7243))` })
    .from(sql`(select 1) as one`);
  return row?.locked === true;
}

export async function loadState(tx: Database, deploymentId: string, partitionKey: string): Promise<LoadedState> {
  const state = emptyState();
  const [windowRows, watermarkRows] = await Promise.all([
    tx.select().from(runtimeWindows).where(and(eq(runtimeWindows.deploymentId, deploymentId), eq(runtimeWindows.partitionKey, partitionKey))),
    tx.select().from(runtimeWatermarks).where(and(eq(runtimeWatermarks.deploymentId, deploymentId), eq(runtimeWatermarks.partitionKey, partitionKey))),
  ]);
  for (const row of windowRows) {
    let byKey = state.windows.get(row.nodeId);
    if (!byKey) state.windows.set(row.nodeId, (byKey = new Map()));
    byKey.set(row.windowKey, row.state as unknown as WindowState);
  }
  for (const row of watermarkRows) state.watermarks.set(row.nodeId, new Date(row.watermark).toISOString());
  return state;
}

/**
 * Of windows a run opened, those another partition keeps open or that were closed and summarised
 * already: their state is not this partition's to load or write, so the run must not touch them.
 */
export async function windowsTakenElsewhere(tx: Database, target: RunTarget & { deploymentId: string }, opened: readonly { nodeId: string; key: string }[]) {
  const keys = JSON.stringify(opened.map(({ nodeId, key }) => ({ node_id: nodeId, window_key: key })));
  return rowsOf<{ node_id: string; window_key: string; partition_key: string | null; closed: boolean }>(
    tx,
    sql`with opened as (select * from jsonb_to_recordset(${keys}::jsonb) as r(node_id text, window_key text))
        select w.node_id, w.window_key, w.partition_key, false as closed from runtime_windows w join opened using (node_id, window_key)
          where w.deployment_id = ${target.deploymentId}::uuid and w.partition_key <> ${target.partitionKey}
        union all
        select s.node_id, s.window_key, s.partition_key, true from usage_summaries s join opened using (node_id, window_key)
          where s.flow_version_id = ${target.flowVersionId}::uuid`,
  );
}

/** The asked dedupe keys that a Dedupe node let through before and that have not expired. */
export async function findSeenKeys(tx: Database, deploymentId: string, asked: StateChanges["asked"], nowMs: number): Promise<LoadedState["seen"]> {
  const seen: LoadedState["seen"] = new Map();
  for (const [nodeId, keys] of asked) {
    if (keys.size === 0) continue;
    const rows = await rowsOf<{ key: string; expires_at_ms: string | number }>(
      tx,
      sql`select key, expires_at_ms from dedupe_keys
          where deployment_id = ${deploymentId}::uuid and node_id = ${nodeId} and expires_at_ms > ${nowMs}
            and key in ${jsonList([...keys])}`,
    );
    if (rows.length > 0) seen.set(nodeId, new Map(rows.map((row) => [row.key, Number(row.expires_at_ms)])));
  }
  return seen;
}

/** Writes the state a run changed: windows (deleted when closed), watermarks and dedupe keys. */
export async function persistState(tx: Database, target: RunTarget, changes: StateChanges): Promise<void> {
  const deploymentId = target.deploymentId;
  if (!deploymentId) return;
  for (const [nodeId, byKey] of changes.windows) {
    const graceMs = graceOf(target.plan, nodeId);
    const removed = [...byKey].filter(([, window]) => window === null).map(([key]) => key);
    const kept = [...byKey].flatMap(([, window]) => (window ? [window] : []));
    if (removed.length > 0) {
      await tx.delete(runtimeWindows).where(and(eq(runtimeWindows.deploymentId, deploymentId), eq(runtimeWindows.nodeId, nodeId), inArray(runtimeWindows.windowKey, removed)));
    }
    if (kept.length > 0) {
      await tx
        .insert(runtimeWindows)
        .values(
          kept.map((window) => ({
            deploymentId,
            nodeId,
            windowKey: window.key,
            partitionKey: target.partitionKey,
            closesAt: new Date(Date.parse(window.end) + graceMs),
            state: window as unknown as Record<string, unknown>,
          })),
        )
        .onConflictDoUpdate({ target: [runtimeWindows.deploymentId, runtimeWindows.nodeId, runtimeWindows.windowKey], set: { state: sql`excluded.state`, closesAt: sql`excluded.closes_at` } });
    }
  }
  if (changes.watermarks.size > 0) {
    await tx
      .insert(runtimeWatermarks)
      .values([...changes.watermarks].map(([nodeId, watermark]) => ({ deploymentId, nodeId, partitionKey: target.partitionKey, watermark })))
      .onConflictDoUpdate({
        target: [runtimeWatermarks.deploymentId, runtimeWatermarks.nodeId, runtimeWatermarks.partitionKey],
        set: { watermark: sql`greatest(${runtimeWatermarks.watermark}, excluded.watermark)` },
      });
  }
  if (changes.remembered.length > 0) {
    const latest = new Map<string, (typeof changes.remembered)[number]>();
    for (const entry of changes.remembered) latest.set(`${entry.nodeId}\u0000${entry.key}`, entry);
    const rows = [...latest.values()].map((entry) => ({ node_id: entry.nodeId, key: entry.key, expires_at_ms: entry.expiresAtMs }));
    await tx.execute(sql`insert into dedupe_keys (deployment_id, node_id, key, expires_at_ms)
      select ${deploymentId}::uuid, node_id, key, expires_at_ms from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(node_id text, key text, expires_at_ms bigint)
      on conflict (deployment_id, node_id, key) do update set expires_at_ms = greatest(dedupe_keys.expires_at_ms, excluded.expires_at_ms)`);
  }
}

/**
 * Writes a run's effects: usage records and other canonical objects, closed windows, posting
 * intents (the outbox), approval requests, exceptions and lineage. Unique keys make every insert
 * idempotent, so a backfill of the same version adds nothing twice.
 */
export async function persistEffects(tx: Database, target: RunTarget, effects: Effects, eventSeqs: ReadonlyMap<string, number>): Promise<void> {
  const { workspaceId, flowVersionId, deploymentId } = target;
  const seqOf = (events: string[]) => (events[0] === undefined ? null : (eventSeqs.get(events[0]) ?? null));
  const nodes = new Map(target.plan.document.nodes.map((node) => [node.id, node]));

  const usage = effects.records.filter((record) => record.type.startsWith("UsageRecord@"));
  const others = effects.records.filter((record) => !record.type.startsWith("UsageRecord@"));
  if (usage.length > 0) {
    // The columns are read from the payload in SQL: sending them beside it would double what
    // PostgreSQL parses.
    const rows = usage.map((record) => ({ node_id: record.nodeId, record_key: record.id, event_seq: seqOf(record.events), correlation_id: record.correlationId, payload: record.payload }));
    const text = (name: string) => sql.raw(`case when jsonb_typeof(payload->'${name}') = 'string' then payload->>'${name}' end`);
    await tx.execute(sql`insert into usage_records (workspace_id, flow_version_id, node_id, record_key, event_seq, tenant_id, contract_id, product_code, metric, quantity, rating_period, correlation_id, payload)
      select ${workspaceId}, ${flowVersionId}::uuid, node_id, record_key, event_seq, coalesce(${text("tenantId")}, ${target.partitionKey}), ${text("contractId")}, ${text("productCode")},
        coalesce(${text("metric")}, 'unknown'), coalesce(payload->>'quantity', '0')::numeric, coalesce(${text("ratingPeriod")}, ''), correlation_id, payload
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(node_id text, record_key text, event_seq bigint, correlation_id text, payload jsonb)
      on conflict (flow_version_id, record_key) do nothing`);
  }
  if (others.length > 0) {
    await tx
      .insert(canonicalObjects)
      .values(others.map((record) => ({ workspaceId, flowVersionId, nodeId: record.nodeId, recordKey: record.id, type: record.type, payload: record.payload, correlationId: record.correlationId })))
      .onConflictDoNothing();
  }

  if (effects.summaries.length > 0) {
    await tx
      .insert(usageSummaries)
      .values(
        effects.summaries.map(({ nodeId, window }) => {
          const node = nodes.get(nodeId);
          const period = node?.type === "aggregate" ? node.config.period : "month";
          const quantity = window.measures.quantity;
          return {
            workspaceId,
            deploymentId,
            flowVersionId,
            nodeId,
            windowKey: window.key,
            partitionKey: target.partitionKey,
            tenantId: typeof window.group.tenantId === "string" ? window.group.tenantId : null,
            metric: typeof window.group.metric === "string" ? window.group.metric : null,
            ratingPeriod: windowOf(window.start, period).label,
            windowStart: window.start,
            windowEnd: window.end,
            eventCount: window.count,
            quantity: typeof quantity === "string" || typeof quantity === "number" ? String(quantity) : null,
            measures: window.measures,
          };
        }),
      )
      .onConflictDoNothing();
  }

  if (effects.postings.length > 0) {
    await tx
      .insert(postings)
      .values(
        effects.postings.map((intent) => {
          const node = nodes.get(intent.nodeId);
          return {
            workspaceId,
            flowVersionId,
            deploymentId,
            nodeId: intent.nodeId,
            kind: intent.kind,
            endpoint: intent.endpoint,
            operation: intent.operation,
            idempotencyKey: intent.idempotencyKey,
            request: intent.request,
            maxAttempts: node?.type === "post" ? node.config.retry.maxAttempts : 8,
            nextAttemptAt: target.now ?? new Date(),
            correlationId: intent.correlationId,
          };
        }),
      )
      .onConflictDoNothing();
    await linkSummariesToPostings(tx, target, effects);
  }

  if (effects.approvals.length > 0) {
    await tx
      .insert(approvals)
      .values(
        effects.approvals.map((request) => ({
          workspaceId,
          deploymentId,
          flowVersionId,
          nodeId: request.nodeId,
          itemId: request.itemId,
          partitionKey: target.partitionKey,
          approverRole: request.approverRole,
          payload: request.payload,
          eventKeys: request.events,
        })),
      )
      .onConflictDoNothing();
  }

  if (effects.exceptions.length > 0) {
    const raisedAt = (target.now ?? new Date()).toISOString();
    await tx
      .insert(exceptions)
      .values(
        effects.exceptions.map((exception) => ({
          workspaceId,
          kind: exception.kind,
          reason: exception.reason,
          flowVersionId,
          deploymentId,
          nodeId: exception.nodeId,
          raisedBy: exception.raisedBy,
          itemId: exception.itemId,
          partitionKey: target.partitionKey,
          eventSeq: seqOf(exception.events),
          eventKeys: exception.events,
          correlationId: exception.correlationId,
          payload: exception.payload ?? null,
          history: [{ at: raisedAt, actor: "runtime", action: "raised", comment: exception.reason }],
        })),
      );
  }

  if (effects.lineage.length > 0) {
    await tx.insert(lineage).values(
      effects.lineage.map((link) => {
        const type = nodes.get(link.nodeId)?.type;
        return {
          workspaceId,
          outputType: type === "aggregate" ? "window" : type === "post" || type === "notify" ? "posting" : type === "rate" ? "rated" : (type ?? "output"),
          outputId: link.outputId,
          inputType: type === "aggregate" ? ("events" as const) : ("items" as const),
          inputIds: link.inputIds,
          flowVersionId,
          nodeId: link.nodeId,
          pricingRuleVersion: link.pricingRuleVersion ?? null,
        };
      }),
    );
  }
}

/**
 * Records which posting lines carry each closed window: a posting's parts are items derived from
 * summaries (rated, approved); lineage links lead back from each part to its window.
 */
async function linkSummariesToPostings(tx: Database, target: RunTarget, effects: Effects): Promise<void> {
  const aggregates = aggregateNodeIds(target.plan);
  const known = new Map(effects.lineage.map((link) => [link.outputId, link]));
  for (const intent of effects.postings) {
    let offset = 0;
    for (const part of intent.parts) {
      const window = await windowBehind(tx, target.workspaceId, aggregates, part.itemId, known);
      if (window) {
        await tx
          .update(usageSummaries)
          .set({ postingKey: intent.idempotencyKey, lineOffset: offset, lineCount: part.lines })
          .where(and(eq(usageSummaries.flowVersionId, target.flowVersionId), eq(usageSummaries.nodeId, window.nodeId), eq(usageSummaries.windowKey, window.windowKey)));
      }
      offset += part.lines;
    }
  }
}

export function aggregateNodeIds(plan: FlowPlan): string[] {
  return plan.document.nodes.filter((node) => node.type === "aggregate").map((node) => node.id);
}

type LineageHop = { inputIds: string[]; pricingRuleVersion?: string | null | undefined };

/**
 * The aggregate window an item was made from, following single-input lineage hops (approved <-
 * rated <- summary): links of the current run first, then stored ones. Also the pricing-rule
 * version a Rate hop recorded on the way.
 */
export async function windowBehind(tx: Database, workspaceId: string, aggregates: readonly string[], itemId: string, known: ReadonlyMap<string, LineageHop> = new Map()) {
  let id = itemId;
  let pricingRuleVersion: string | null = null;
  for (let hops = 0; hops < 8; hops += 1) {
    const nodeId = aggregates.find((candidate) => id.startsWith(`${candidate}:`));
    if (nodeId) return { nodeId, windowKey: id.slice(nodeId.length + 1), pricingRuleVersion };
    const link: LineageHop | undefined = known.get(id) ?? (await tx.select({ inputIds: lineage.inputIds, pricingRuleVersion: lineage.pricingRuleVersion }).from(lineage).where(and(eq(lineage.workspaceId, workspaceId), eq(lineage.outputId, id))).limit(1))[0];
    if (!link || link.inputIds.length !== 1) return undefined;
    pricingRuleVersion ??= link.pricingRuleVersion ?? null;
    id = link.inputIds[0]!;
  }
  return undefined;
}

function graceOf(plan: FlowPlan, nodeId: string): number {
  const node = plan.document.nodes.find((candidate) => candidate.id === nodeId);
  return node?.type === "aggregate" ? durationMs(node.config.grace) : 0;
}
