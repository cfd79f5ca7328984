import { loadReferenceData, readReferenceDataVersion, type Database } from "@meterflow/db";
import type { EngineContext, Effects, ReferenceData } from "@meterflow/engine";
import { dedupeScopes } from "./deployments";
import { emptyState, perNode, runtimeContext, type LoadedState, type StateChanges } from "./runtime-context";
import { findSeenKeys, loadStates, loadWindows, persistEffects, persistState, type RunTarget } from "./runtime-store";

export interface PartitionRun {
  target: RunTarget;
  effects: Effects;
  changes: StateChanges;
  /** The partition's state the run started from. */
  loaded: LoadedState;
}

/** Open windows loaded with a partition's state; a partition with more has them looked up by key. */
export const PRELOADED_WINDOWS = 1_000;

/**
 * Runs a plan on partitions of one deployment, each on its own state: reference data (cached
 * for a second unless `freshReference`), the deployment's watermarks and open windows of every
 * partition loaded in one pass (none for a backfill; all of them with `allWindows`, else those
 * of partitions with at most PRELOADED_WINDOWS), and dedupe keys and the windows of larger
 * partitions looked up lazily: each pass records what the runs asked about that was not loaded;
 * the runs that asked about keys seen before (a repeat that got past ingestion's (source, id)
 * check) or about windows that are open run again with them known, until nothing new is asked.
 */
export async function runOnPartitions(
  tx: Database,
  targets: readonly RunTarget[],
  run: (target: RunTarget, context: EngineContext) => Effects,
  options: { freshReference?: boolean; ignoreStoredDedupe?: boolean; allWindows?: boolean } = {},
): Promise<PartitionRun[]> {
  const first = targets[0];
  if (!first) return [];
  const reference = await referenceDataOf(tx, first.workspaceId, options.freshReference);
  const deploymentId = first.deploymentId;
  const states = deploymentId
    ? await loadStates(
        tx,
        deploymentId,
        targets.map((target) => target.partitionKey),
        options.allWindows ? {} : { windowLimit: PRELOADED_WINDOWS },
      )
    : new Map<string, LoadedState>();
  const runWith = (target: RunTarget, loaded: LoadedState): PartitionRun => {
    const context = runtimeContext(reference, loaded, options);
    return { target, loaded, effects: run(target, context), changes: context.changes };
  };
  let runs = targets.map((target) => runWith(target, states.get(target.partitionKey) ?? emptyState()));
  if (!deploymentId) return runs;

  // Dedupe keys are consulted across partitions (and deployments), so one map serves every run.
  const seen: LoadedState["seen"] = new Map();
  for (const state of states.values()) state.seen = seen;
  const checkedKeys = new Map<string, Set<string>>();
  const checkedWindows = new Set<string>();
  let scopes: Awaited<ReturnType<typeof dedupeScopes>> | undefined;
  for (;;) {
    const keys: StateChanges["asked"] = new Map();
    const windows: { partitionKey: string; nodeId: string; key: string }[] = [];
    for (const { target, changes } of runs) {
      for (const [nodeId, asked] of changes.asked) {
        const checked = perNode(checkedKeys, nodeId, () => new Set<string>());
        for (const key of asked) {
          if (checked.has(key)) continue;
          checked.add(key);
          perNode(keys, nodeId, () => new Set()).add(key);
        }
      }
      for (const [nodeId, asked] of changes.askedWindows) {
        for (const key of asked) {
          const id = `${target.partitionKey}\u0000${nodeId}\u0000${key}`;
          if (checkedWindows.has(id)) continue;
          checkedWindows.add(id);
          windows.push({ partitionKey: target.partitionKey, nodeId, key });
        }
      }
    }
    // A Dedupe node keyed by the event's identity asks nothing, nor does a partition whose windows are all loaded.
    if (keys.size === 0 && windows.length === 0) return runs;
    const foundKeys: LoadedState["seen"] =
      keys.size === 0
        ? new Map()
        : await findSeenKeys(
            tx,
            (scopes ??= await dedupeScopes(tx, deploymentId)),
            keys,
            (first.now ?? new Date()).getTime(),
          );
    for (const [nodeId, found] of foundKeys) seen.set(nodeId, new Map([...(seen.get(nodeId) ?? []), ...found]));
    const foundWindows = windows.length === 0 ? [] : await loadWindows(tx, deploymentId, states, windows);
    const rerun = new Set(foundWindows.map((row) => row.partition_key));
    runs = runs.map((done) => {
      const askedSeen = [...done.changes.asked].some(([nodeId, asked]) =>
        [...asked].some((key) => foundKeys.get(nodeId)?.has(key)),
      );
      return askedSeen || rerun.has(done.target.partitionKey) ? runWith(done.target, done.loaded) : done;
    });
  }
}

/** `runOnPartitions` for one partition. */
export async function runOnPartition(
  tx: Database,
  target: RunTarget,
  run: (context: EngineContext) => Effects,
  options: { freshReference?: boolean; ignoreStoredDedupe?: boolean; allWindows?: boolean } = {},
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
export async function commitRun(
  tx: Database,
  target: RunTarget,
  changes: StateChanges,
  effects: Effects,
  eventSeqs: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  await commitRuns(tx, [{ target, changes, effects }], eventSeqs);
}

/**
 * Reference data per database and workspace: the version it was read at, when that was last
 * checked, and the data, or its load while under way (the workers that find the version moved
 * after an edit share one load).
 */
const referenceCache = new WeakMap<
  object,
  Map<string, { at: number; version: number; data: Promise<ReferenceData> }>
>();

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
  // A copy read at a later version than this caller saw serves as well, and so does a load
  // another caller began meanwhile.
  const version = await readReferenceDataVersion(db);
  const current = byWorkspace.get(workspaceId);
  if (current && current.version >= version) {
    current.at = Date.now();
    return current.data;
  }
  const entry = { at: Date.now(), version, data: loadReferenceData(db, workspaceId) as Promise<ReferenceData> };
  byWorkspace.set(workspaceId, entry);
  // A failed load is not kept: the next caller reads again.
  entry.data.catch(() => {
    if (byWorkspace.get(workspaceId) === entry) byWorkspace.delete(workspaceId);
  });
  return entry.data;
}
