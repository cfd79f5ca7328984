import { loadReferenceData, type Database } from "@meterflow/db";
import type { EngineContext, Effects, ReferenceData } from "@meterflow/engine";
import { emptyState, runtimeContext, type LoadedState, type StateChanges } from "./runtime-context";
import { findSeenKeys, loadState, persistEffects, persistState, type RunTarget } from "./runtime-store";

/**
 * Runs a plan on a partition's state: reference data (cached for a second unless `freshReference`),
 * the deployment's open windows and watermarks (none for a backfill), and dedupe keys looked up
 * lazily: the first pass records the keys it asked about; only when some were seen before (a
 * repeat that got past ingestion's (source, id) check) does a second pass run with them known.
 */
export async function runOnPartition(
  tx: Database,
  target: RunTarget,
  run: (context: EngineContext) => Effects,
  options: { freshReference?: boolean; ignoreStoredDedupe?: boolean } = {},
): Promise<{ effects: Effects; changes: StateChanges; loaded: LoadedState }> {
  const reference = await referenceDataOf(tx, target.workspaceId, options.freshReference);
  const state = target.deploymentId ? await loadState(tx, target.deploymentId, target.partitionKey) : emptyState();
  let context = runtimeContext(reference, state, options);
  let effects = run(context);
  if (target.deploymentId) {
    const seen = await findSeenKeys(tx, target.deploymentId, context.changes.asked, (target.now ?? new Date()).getTime());
    if (seen.size > 0) {
      context = runtimeContext(reference, { ...state, seen }, options);
      effects = run(context);
    }
  }
  return { effects, changes: context.changes, loaded: state };
}

/** Commits what a run changed and produced, in the caller's transaction. */
export async function commitRun(tx: Database, target: RunTarget, changes: StateChanges, effects: Effects, eventSeqs: ReadonlyMap<string, number> = new Map()): Promise<void> {
  await persistState(tx, target, changes);
  await persistEffects(tx, target, effects, eventSeqs);
}

/** Reference data changes rarely; a second's cache per database spares four queries per batch. */
const referenceCache = new WeakMap<object, Map<string, { at: number; data: ReferenceData }>>();

export async function referenceDataOf(db: Database, workspaceId: string, fresh = false): Promise<ReferenceData> {
  // A database and its transactions share one dialect object (and every transaction has its own
  // client), so the dialect identifies the database.
  const owner = (db as unknown as { dialect?: object }).dialect ?? db;
  let byWorkspace = referenceCache.get(owner);
  if (!byWorkspace) referenceCache.set(owner, (byWorkspace = new Map()));
  const cached = byWorkspace.get(workspaceId);
  if (!fresh && cached && Date.now() - cached.at < 1000) return cached.data;
  const data = (await loadReferenceData(db, workspaceId)) as ReferenceData;
  byWorkspace.set(workspaceId, { at: Date.now(), data });
  return data;
}
