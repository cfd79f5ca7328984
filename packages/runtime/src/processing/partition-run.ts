import { loadReferenceData, readReferenceDataVersion, type Database } from "@meterflow/db";
import type { EngineContext, Effects, ReferenceData } from "@meterflow/engine";
import { dedupeScopes } from "./deployments";
import { emptyState, runtimeContext, type LoadedState, type StateChanges } from "./runtime-context";
import { findSeenKeys, loadStates, persistEffects, persistState, type RunTarget } from "./runtime-store";

export interface PartitionRun {
  target: RunTarget;
  effects: Effects;
  changes: StateChanges;
  /** The partition's state the run started from. */
  loaded: LoadedState;
}

/**
 * Runs a plan on partitions of one deployment, each on its own state: reference data (cached
 * for a second unless `freshReference`), the deployment's open windows and watermarks of every
 * partition loaded in one pass (none for a backfill), and dedupe keys looked up lazily: the first
 * pass records the keys each run asked about; only the runs that asked about keys seen before (a
 * repeat that got past ingestion's (source, id) check) run again with them known.
 */
export async function runOnPartitions(
  tx: Database,
  targets: readonly RunTarget[],
  run: (target: RunTarget, context: EngineContext) => Effects,
  options: { freshReference?: boolean; ignoreStoredDedupe?: boolean } = {},
): Promise<PartitionRun[]> {
  const first = targets[0];
  if (!first) return [];
  const reference = await referenceDataOf(tx, first.workspaceId, options.freshReference);
  const deploymentId = first.deploymentId;
  const states = deploymentId ? await loadStates(tx, deploymentId, targets.map((target) => target.partitionKey)) : new Map<string, LoadedState>();
  const runs = targets.map((target) => {
    const loaded = states.get(target.partitionKey) ?? emptyState();
    const context = runtimeContext(reference, loaded, options);
    return { target, loaded, context, effects: run(target, context) };
  });
  const asRun = runs.map(({ context, ...done }) => ({ ...done, changes: context.changes }));
  if (!deploymentId) return asRun;

  const asked: StateChanges["asked"] = new Map();
  for (const { context } of runs) {
    for (const [nodeId, keys] of context.changes.asked) {
      const all = asked.get(nodeId) ?? new Set<string>();
      for (const key of keys) all.add(key);
      asked.set(nodeId, all);
    }
  }
  // A Dedupe node keyed by the event's identity asks nothing: then no deployment's keys are read.
  if (asked.size === 0) return asRun;
  const seen = await findSeenKeys(tx, await dedupeScopes(tx, deploymentId), asked, (first.now ?? new Date()).getTime());
  return runs.map(({ target, loaded, context, effects }) => {
    const askedSeen = [...context.changes.asked].some(([nodeId, keys]) => [...keys].some((key) => seen.get(nodeId)?.has(key)));
    if (!askedSeen) return { target, loaded, effects, changes: context.changes };
    const again = runtimeContext(reference, { ...loaded, seen }, options);
    return { target, loaded, effects: run(target, again), changes: again.changes };
  });
}

/** `runOnPartitions` for one partition. */
export async function runOnPartition(
  tx: Database,
  target: RunTarget,
  run: (context: EngineContext) => Effects,
  options: { freshReference?: boolean; ignoreStoredDedupe?: boolean } = {},
): Promise<PartitionRun> {
  const [done] = await runOnPartitions(tx, [target], (_, context) => run(context), options);
  return done!;
}

/**
 * Commits what runs of one deployment changed and produced, in the caller's transaction. Given a
 * `recordsTally`, the usage records made are added to it per partition for the caller to count
 * (a batch counts them with its cursors), else they are counted here.
 */
export async function commitRuns(
  tx: Database,
  runs: readonly Pick<PartitionRun, "target" | "changes" | "effects">[],
  eventSeqs: ReadonlyMap<string, number> = new Map(),
  options: { recordsTally?: Map<string, number> } = {},
): Promise<void> {
  await persistState(tx, runs);
  await persistEffects(tx, runs, eventSeqs, options);
}

/** `commitRuns` for one run. */
export async function commitRun(tx: Database, target: RunTarget, changes: StateChanges, effects: Effects, eventSeqs: ReadonlyMap<string, number> = new Map()): Promise<void> {
  await commitRuns(tx, [{ target, changes, effects }], eventSeqs);
}

/** Reference data per database and workspace, with the reference data version it was read at and when it was last checked. */
const referenceCache = new WeakMap<object, Map<string, { at: number; version: number; data: ReferenceData }>>();

export async function referenceDataOf(db: Database, workspaceId: string, fresh = false): Promise<ReferenceData> {
  // A database and its transactions share one dialect object (and every transaction has its own
  // client), so the dialect identifies the database.
  const owner = (db as unknown as { dialect?: object }).dialect ?? db;
  let byWorkspace = referenceCache.get(owner);
  if (!byWorkspace) referenceCache.set(owner, (byWorkspace = new Map()));
  const cached = byWorkspace.get(workspaceId);
  if (!fresh && cached && Date.now() - cached.at < 1000) return cached.data;
  // Then only the version is read, and the data again only if it moved: reading it all each
  // second took 0.8-1 s with 100,000 tenants. The version first: data read after it is as new.
  const version = await readReferenceDataVersion(db);
  if (cached && cached.version === version) {
    cached.at = Date.now();
    return cached.data;
  }
  const data = (await loadReferenceData(db, workspaceId)) as ReferenceData;
  byWorkspace.set(workspaceId, { at: Date.now(), version, data });
  return data;
}
