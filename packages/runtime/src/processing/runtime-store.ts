import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import {
  approvals,
  insertExceptions,
  lineage,
  postings,
  runtimeWatermarks,
  runtimeWindows,
  usageSummaries,
  jsonList,
  jsonRecords,
  columnRecords,
  rowsOf,
  uuidArray,
  insertAssumingNew,
  inChunks,
  addUsageRecordCounts,
  type Database,
} from "@meterflow/db";
import { durationMs, windowOf, type Effects, type FlowPlan, type WindowState } from "@meterflow/engine";
import { emptyState, type LoadedState, type StateChanges } from "./runtime-context";
import { usageRecordColumns } from "./usage-record-row";

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

/**
 * The transaction-scoped lock that serialises work on one partition across runtime processes:
 * workers, retries, approvals and the window scheduler take it, without waiting.
 */
export function tryPartitionLock(workspaceId: SQL, partitionKey: SQL): SQL<boolean> {
  return sql<boolean>`pg_try_advisory_xact_lock(hashtextextended(${workspaceId} || '/' || ${partitionKey}, 7243))`;
}

export async function tryLockPartition(tx: Database, workspaceId: string, partitionKey: string): Promise<boolean> {
  const [row] = await tx
    .select({ locked: tryPartitionLock(sql`${workspaceId}::text`, sql`${partitionKey}::text`) })
    .from(sql`(select 1) as one`);
  return row?.locked === true;
}

/**
 * The state of a deployment's partitions, loaded in one pass for all of them: watermarks, and
 * open windows, all of them or (given `windowLimit`) all of each partition that has at most that
 * many; a partition with more gets its windows looked up by key (`loadWindows`) as runs ask for
 * them, since reading 20,000 windows for a batch of 1,000 events took most of its time.
 */
export async function loadStates(
  tx: Database,
  deploymentId: string,
  partitionKeys: readonly string[],
  { windowLimit }: { windowLimit?: number } = {},
): Promise<Map<string, LoadedState>> {
  const states = new Map(partitionKeys.map((key) => [key, emptyState()]));
  const [windowRows, watermarkRows] = await Promise.all([
    // One more than the limit tells a partition that has more; without a limit, LIMIT NULL reads all.
    rowsOf<WindowRow>(
      tx,
      sql`select w.partition_key, w.node_id, w.window_key, w.state from ${jsonList(partitionKeys)} as p(key)
          cross join lateral (select partition_key, node_id, window_key, state from runtime_windows
            where deployment_id = ${deploymentId}::uuid and partition_key = p.key limit ${windowLimit === undefined ? null : windowLimit + 1}::bigint) w`,
    ),
    tx
      .select()
      .from(runtimeWatermarks)
      .where(
        and(
          eq(runtimeWatermarks.deploymentId, deploymentId),
          inArray(runtimeWatermarks.partitionKey, [...partitionKeys]),
        ),
      ),
  ]);
  addWindows(states, windowRows);
  if (windowLimit !== undefined) {
    const counts = new Map<string, number>();
    for (const row of windowRows) counts.set(row.partition_key, (counts.get(row.partition_key) ?? 0) + 1);
    for (const [key, count] of counts) if (count > windowLimit) states.get(key)!.windowsComplete = false;
  }
  for (const row of watermarkRows)
    states.get(row.partitionKey)!.watermarks.set(row.nodeId, new Date(row.watermark).toISOString());
  return states;
}

type WindowRow = { partition_key: string; node_id: string; window_key: string; state: WindowState };

/**
 * Adds to partitions' loaded states the open windows among those asked for: a window of another
 * partition is not this one's to load (the run opens it, and the opening is refused).
 */
export async function loadWindows(
  tx: Database,
  deploymentId: string,
  states: Map<string, LoadedState>,
  asked: readonly { partitionKey: string; nodeId: string; key: string }[],
): Promise<WindowRow[]> {
  const rows = await rowsOf<WindowRow>(
    tx,
    sql`select w.partition_key, w.node_id, w.window_key, w.state from ${jsonRecords(
      asked.map(({ partitionKey, nodeId, key }) => ({ p: partitionKey, n: nodeId, k: key })),
      "p text, n text, k text",
    )}
        join runtime_windows w on w.deployment_id = ${deploymentId}::uuid and w.node_id = r.n and w.window_key = r.k and w.partition_key = r.p`,
  );
  addWindows(states, rows);
  return rows;
}

function addWindows(states: Map<string, LoadedState>, rows: readonly WindowRow[]): void {
  for (const row of rows) {
    const state = states.get(row.partition_key)!;
    let byKey = state.windows.get(row.node_id);
    if (!byKey) state.windows.set(row.node_id, (byKey = new Map()));
    byKey.set(row.window_key, row.state);
  }
}

/**
 * Of windows runs opened, those another partition keeps open or that were closed and summarised
 * already, by this deployment's version or by another version of the flow whose Aggregate node
 * keys the same windows (`sharedWith`, by node): their state is not the opening partition's to
 * load or write.
 */
export async function windowsTakenElsewhere(
  tx: Database,
  deploymentId: string,
  sharedWith: ReadonlyMap<string, readonly string[]>,
  opened: readonly { nodeId: string; key: string; partitionKey: string }[],
) {
  const keys = opened.map(({ nodeId, key, partitionKey }) => ({
    node_id: nodeId,
    window_key: key,
    opener: partitionKey,
  }));
  const versions = [...sharedWith].flatMap(([nodeId, versionIds]) =>
    versionIds.map((versionId) => ({ node_id: nodeId, flow_version_id: versionId })),
  );
  return rowsOf<{ node_id: string; window_key: string; partition_key: string | null; closed: boolean }>(
    tx,
    sql`with opened as (select * from ${jsonRecords(keys, "node_id text, window_key text, opener text")}),
          versions as (select * from ${jsonRecords(versions, "node_id text, flow_version_id uuid")})
        select w.node_id, w.window_key, w.partition_key, false as closed from runtime_windows w join opened o using (node_id, window_key)
          where w.deployment_id = ${deploymentId}::uuid and w.partition_key <> o.opener
        union all
        select s.node_id, s.window_key, s.partition_key, true from versions v join usage_summaries s using (flow_version_id, node_id) join opened using (node_id, window_key)`,
  );
}

/**
 * The asked dedupe keys that a Dedupe node let through before and that have not expired, in the
 * deployments whose keys each node consults (by node).
 */
export async function findSeenKeys(
  tx: Database,
  scopes: ReadonlyMap<string, readonly string[]>,
  asked: StateChanges["asked"],
  nowMs: number,
): Promise<LoadedState["seen"]> {
  const seen: LoadedState["seen"] = new Map();
  for (const [nodeId, keys] of asked) {
    const deploymentIds = scopes.get(nodeId);
    if (keys.size === 0 || !deploymentIds) continue;
    const rows = await rowsOf<{ key: string; expires_at_ms: string | number }>(
      tx,
      sql`select key, max(expires_at_ms) as expires_at_ms from dedupe_keys
          where deployment_id = any(${uuidArray(deploymentIds)}) and node_id = ${nodeId} and expires_at_ms > ${nowMs}
            and key in ${jsonList([...keys])}
          group by key`,
    );
    if (rows.length > 0) seen.set(nodeId, new Map(rows.map((row) => [row.key, Number(row.expires_at_ms)])));
  }
  return seen;
}

/**
 * Writes the state runs changed: windows (deleted when closed), watermarks and dedupe keys. The
 * runs are of one deployment, each on its own partition; all are written in one statement per table.
 */
export async function persistState(
  tx: Database,
  runs: readonly { target: RunTarget; changes: StateChanges }[],
): Promise<void> {
  const deploymentId = runs[0]?.target.deploymentId;
  if (!deploymentId) return;
  const removed = new Map<string, string[]>();
  const kept: { node_id: string; window_key: string; partition_key: string; closes_at: string; state: WindowState }[] =
    [];
  const watermarks: { node_id: string; partition_key: string; watermark: string }[] = [];
  const remembered = new Map<string, { node_id: string; key: string; expires_at_ms: number }>();
  for (const { target, changes } of runs) {
    for (const [nodeId, byKey] of changes.windows) {
      const graceMs = graceOf(target.plan, nodeId);
      for (const [key, window] of byKey) {
        if (window === null) {
          if (!removed.has(nodeId)) removed.set(nodeId, []);
          removed.get(nodeId)!.push(key);
        } else
          kept.push({
            node_id: nodeId,
            window_key: window.key,
            partition_key: target.partitionKey,
            closes_at: new Date(Date.parse(window.end) + graceMs).toISOString(),
            state: window,
          });
      }
    }
    for (const [nodeId, watermark] of changes.watermarks)
      watermarks.push({ node_id: nodeId, partition_key: target.partitionKey, watermark });
    for (const entry of changes.remembered)
      remembered.set(`${entry.nodeId}\u0000${entry.key}`, {
        node_id: entry.nodeId,
        key: entry.key,
        expires_at_ms: entry.expiresAtMs,
      });
  }
  for (const [nodeId, keys] of removed) {
    await tx
      .delete(runtimeWindows)
      .where(
        and(
          eq(runtimeWindows.deploymentId, deploymentId),
          eq(runtimeWindows.nodeId, nodeId),
          inArray(runtimeWindows.windowKey, keys),
        ),
      );
  }
  // One JSON parameter per table, as for usage records: the query builder's cost per value was
  // most of a many-partition batch's Node time.
  if (kept.length > 0) {
    await tx.execute(sql`insert into runtime_windows (deployment_id, node_id, window_key, partition_key, closes_at, state)
      select ${deploymentId}::uuid, node_id, window_key, partition_key, closes_at, state
      from ${jsonRecords(kept, "node_id text, window_key text, partition_key text, closes_at timestamptz, state jsonb")}
      on conflict (deployment_id, node_id, window_key) do update set state = excluded.state, closes_at = excluded.closes_at`);
  }
  if (watermarks.length > 0) {
    await tx.execute(sql`insert into runtime_watermarks (deployment_id, node_id, partition_key, watermark)
      select ${deploymentId}::uuid, node_id, partition_key, watermark
      from ${jsonRecords(watermarks, "node_id text, partition_key text, watermark timestamptz")}
      on conflict (deployment_id, node_id, partition_key) do update set watermark = greatest(runtime_watermarks.watermark, excluded.watermark)`);
  }
  if (remembered.size > 0) {
    const keys = [...remembered.values()];
    await tx.execute(sql`insert into dedupe_keys (deployment_id, node_id, key, expires_at_ms)
      select ${deploymentId}::uuid, node_id, key, expires_at_ms
      from ${columnRecords({ node_id: ["text", keys.map((entry) => entry.node_id)], key: ["text", keys.map((entry) => entry.key)], expires_at_ms: ["bigint", keys.map((entry) => entry.expires_at_ms)] })}
      on conflict (deployment_id, node_id, key) do update set expires_at_ms = greatest(dedupe_keys.expires_at_ms, excluded.expires_at_ms)`);
  }
}

/** The partitions of the usage records that went in, by the keys the insert gave back. */
function partitionsOf(
  usage: readonly { effect: { id: string }; partitionKey: string }[],
  inserted: readonly { record_key: string }[],
): string[] {
  const partitionOfKey = new Map(usage.map(({ effect, partitionKey }) => [effect.id, partitionKey]));
  return inserted.map((row) => partitionOfKey.get(row.record_key)!);
}

/**
 * Writes a run's effects: usage records and other canonical objects, closed windows, posting
 * intents (the outbox), approval requests, exceptions and lineage. Unique keys make every insert
 * idempotent, so a backfill of the same version adds nothing twice. The usage records that went in
 * are added to `recordsTally` per partition, for the caller to count at the end of its
 * transaction, or counted here without one.
 */
export async function persistEffects(
  tx: Database,
  runs: readonly { target: RunTarget; effects: Effects }[],
  eventSeqs: ReadonlyMap<string, number>,
  { recordsTally }: { recordsTally?: Map<string, number> } = {},
): Promise<void> {
  if (runs.length === 0) return;
  const { workspaceId, flowVersionId, deploymentId, plan, now } = runs[0]!.target;
  const seqOf = (events: string[]) => (events[0] === undefined ? null : (eventSeqs.get(events[0]) ?? null));
  const nodes = new Map(plan.document.nodes.map((node) => [node.id, node]));
  /** One list over every run's effects of a kind, each with its run's partition. */
  const all = <K extends "records" | "summaries" | "postings" | "approvals" | "exceptions" | "lineage">(kind: K) =>
    runs.flatMap(({ target, effects }) =>
      (effects[kind] as Effects[K][number][]).map((effect) => ({ effect, partitionKey: target.partitionKey })),
    );

  const records = all("records");
  const usage = records.filter(({ effect }) => effect.type.startsWith("UsageRecord@"));
  const others = records.filter(({ effect }) => !effect.type.startsWith("UsageRecord@")).map(({ effect }) => effect);
  if (usage.length > 0) {
    // Column by column: PostgreSQL parses each value once, the payload as json text.
    const rows = usage.map(({ effect, partitionKey }) =>
      usageRecordColumns(
        (effect.payload ?? {}) as Record<string, unknown>,
        { tenantId: partitionKey },
        { flowVersionHash: plan.hash, nodeId: effect.nodeId, correlationId: effect.correlationId },
      ),
    );
    // Built once: a deployment's insert runs again skipping repeats when one fails it.
    const relation = columnRecords({
      node_id: ["text", usage.map(({ effect }) => effect.nodeId)],
      record_key: ["text", usage.map(({ effect }) => effect.id)],
      event_seq: ["bigint", usage.map(({ effect }) => seqOf(effect.events))],
      tenant_id: ["text", rows.map((row) => row.tenantId)],
      contract_id: ["text", rows.map((row) => row.contractId)],
      product_code: ["text", rows.map((row) => row.productCode)],
      metric: ["text", rows.map((row) => row.metric)],
      quantity: ["numeric", rows.map((row) => row.quantity)],
      rating_period: ["text", rows.map((row) => row.ratingPeriod)],
      correlation_id: ["text", usage.map(({ effect }) => effect.correlationId)],
      payload: ["json", rows.map((row) => JSON.stringify(row.rest))],
    });
    const insertInto = sql`insert into usage_records (workspace_id, flow_version_id, node_id, record_key, event_seq, tenant_id, contract_id, product_code, metric, quantity, rating_period, correlation_id, payload)
        select ${workspaceId}, ${flowVersionId}::uuid, node_id, record_key, event_seq, tenant_id, contract_id, product_code, metric, quantity, rating_period, correlation_id, payload
        from ${relation}`;
    // Every record went in, or (skipping repeats) the ones whose keys come back.
    const insert = async (into: Database, skipRepeats: boolean): Promise<readonly { record_key: string }[] | "all"> => {
      if (!skipRepeats) return (await into.execute(insertInto), "all");
      return rowsOf<{ record_key: string }>(
        into,
        sql`${insertInto} on conflict (flow_version_id, record_key) do nothing returning record_key`,
      );
    };
    // A deployment processes each event once, so its records are new; a backfill may repeat them.
    const inserted =
      deploymentId === null
        ? await insert(tx, true)
        : await insertAssumingNew(tx, "usage_records_flow_version_id_record_key_pk", insert, { savepoint: true });
    const madeIn = inserted === "all" ? usage.map((record) => record.partitionKey) : partitionsOf(usage, inserted);
    const tally = recordsTally ?? new Map<string, number>();
    for (const partitionKey of madeIn) tally.set(partitionKey, (tally.get(partitionKey) ?? 0) + 1);
    if (!recordsTally) await addUsageRecordCounts(tx, workspaceId, tally);
  }
  if (others.length > 0) {
    // Column by column, like usage records: a VALUES list binds a parameter per field, and a flow
    // making two objects per event would pass PostgreSQL's 65,535 in a batch of 5,000.
    await tx.execute(sql`insert into canonical_objects (workspace_id, flow_version_id, node_id, record_key, type, payload, correlation_id)
      select ${workspaceId}, ${flowVersionId}::uuid, node_id, record_key, type, payload, correlation_id
      from ${columnRecords({
        node_id: ["text", others.map((record) => record.nodeId)],
        record_key: ["text", others.map((record) => record.id)],
        type: ["text", others.map((record) => record.type)],
        payload: ["jsonb", others.map((record) => JSON.stringify(record.payload ?? null))],
        correlation_id: ["text", others.map((record) => record.correlationId)],
      })}
      order by ord
      on conflict do nothing`);
  }

  const summaries = all("summaries");
  if (summaries.length > 0) {
    // In chunks: a partition may close thousands of windows at once (a flow grouping by user).
    await inChunks(
      summaries.map(({ effect: { nodeId, window }, partitionKey }) => {
        const node = nodes.get(nodeId);
        const period = node?.type === "aggregate" ? node.config.period : "month";
        const quantity = window.measures.quantity;
        return {
          workspaceId,
          deploymentId,
          flowVersionId,
          nodeId,
          windowKey: window.key,
          partitionKey,
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
      (chunk) => tx.insert(usageSummaries).values(chunk).onConflictDoNothing(),
    );
  }

  const intents = all("postings").map(({ effect }) => effect);
  if (intents.length > 0) {
    await inChunks(
      intents.map((intent) => {
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
          nextAttemptAt: now ?? new Date(),
          correlationId: intent.correlationId,
        };
      }),
      (chunk) => tx.insert(postings).values(chunk).onConflictDoNothing(),
    );
    for (const run of runs)
      if (run.effects.postings.length > 0) await linkSummariesToPostings(tx, run.target, run.effects);
  }

  const requests = all("approvals");
  if (requests.length > 0) {
    await inChunks(
      requests.map(({ effect: request, partitionKey }) => ({
        workspaceId,
        deploymentId,
        flowVersionId,
        nodeId: request.nodeId,
        itemId: request.itemId,
        partitionKey,
        approverRole: request.approverRole,
        payload: request.payload,
        eventKeys: request.events,
      })),
      (chunk) => tx.insert(approvals).values(chunk).onConflictDoNothing(),
    );
  }

  const raised = all("exceptions");
  if (raised.length > 0) {
    const raisedAt = (now ?? new Date()).toISOString();
    await insertExceptions(
      tx,
      raised.map(({ effect: exception, partitionKey }) => ({
        workspaceId,
        kind: exception.kind,
        reason: exception.reason,
        flowVersionId,
        deploymentId,
        nodeId: exception.nodeId,
        raisedBy: exception.raisedBy,
        itemId: exception.itemId,
        partitionKey,
        eventSeq: seqOf(exception.events),
        eventKeys: exception.events,
        correlationId: exception.correlationId,
        payload: exception.payload ?? null,
        history: [{ at: raisedAt, actor: "runtime", action: "raised", comment: exception.reason }],
      })),
    );
  }

  const links = all("lineage").map(({ effect }) => effect);
  if (links.length > 0) {
    const types = links.map((link) => nodes.get(link.nodeId)?.type);
    await tx.execute(sql`insert into lineage (workspace_id, output_type, output_id, input_type, input_ids, flow_version_id, node_id, pricing_rule_version)
      select ${workspaceId}, output_type, output_id, input_type, input_ids, ${flowVersionId}::uuid, node_id, pricing_rule_version
      from ${columnRecords({
        output_type: [
          "text",
          types.map((type) =>
            type === "aggregate"
              ? "window"
              : type === "post" || type === "notify"
                ? "posting"
                : type === "rate"
                  ? "rated"
                  : (type ?? "output"),
          ),
        ],
        output_id: ["text", links.map((link) => link.outputId)],
        input_type: ["text", types.map((type) => (type === "aggregate" ? "events" : "items"))],
        input_ids: ["jsonb", links.map((link) => JSON.stringify(link.inputIds))],
        node_id: ["text", links.map((link) => link.nodeId)],
        pricing_rule_version: ["text", links.map((link) => link.pricingRuleVersion ?? null)],
      })}`);
  }
}

/**
 * Records which posting lines carry each closed window: a posting's parts are items derived from
 * summaries (rated, approved); lineage links lead back from each part to its window.
 */
async function linkSummariesToPostings(tx: Database, target: RunTarget, effects: Effects): Promise<void> {
  const aggregates = aggregateNodeIds(target.plan);
  const known = new Map(effects.lineage.map((link) => [link.outputId, link]));
  const links: { node_id: string; window_key: string; posting_key: string; line_offset: number; line_count: number }[] =
    [];
  for (const intent of effects.postings) {
    let offset = 0;
    for (const part of intent.parts) {
      const window = await windowBehind(tx, target.workspaceId, aggregates, part.itemId, known);
      if (window)
        links.push({
          node_id: window.nodeId,
          window_key: window.windowKey,
          posting_key: intent.idempotencyKey,
          line_offset: offset,
          line_count: part.lines,
        });
      offset += part.lines;
    }
  }
  if (links.length === 0) return;
  // One statement for all: an update per line took about 12 s for 20,000 windows closed at once.
  await tx.execute(sql`update usage_summaries s set posting_key = r.posting_key, line_offset = r.line_offset, line_count = r.line_count
    from ${jsonRecords(links, "node_id text, window_key text, posting_key text, line_offset int, line_count int")}
    where s.flow_version_id = ${target.flowVersionId}::uuid and s.node_id = r.node_id and s.window_key = r.window_key`);
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
export async function windowBehind(
  tx: Database,
  workspaceId: string,
  aggregates: readonly string[],
  itemId: string,
  known: ReadonlyMap<string, LineageHop> = new Map(),
) {
  let id = itemId;
  let pricingRuleVersion: string | null = null;
  for (let hops = 0; hops < 8; hops += 1) {
    const nodeId = aggregates.find((candidate) => id.startsWith(`${candidate}:`));
    if (nodeId) return { nodeId, windowKey: id.slice(nodeId.length + 1), pricingRuleVersion };
    const link: LineageHop | undefined =
      known.get(id) ??
      (
        await tx
          .select({ inputIds: lineage.inputIds, pricingRuleVersion: lineage.pricingRuleVersion })
          .from(lineage)
          .where(and(eq(lineage.workspaceId, workspaceId), eq(lineage.outputId, id)))
          .limit(1)
      )[0];
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
