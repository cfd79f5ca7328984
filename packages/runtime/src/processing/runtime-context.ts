import { memoryContext, type EngineContext, type ReferenceData, type WindowState } from "@meterflow/engine";

/** The state of one deployment and partition, as loaded from the database before a run. */
export interface LoadedState {
  windows: Map<string, Map<string, WindowState>>;
  /**
   * Whether `windows` holds every open window of the partition. A partition with more than are
   * preloaded (a flow grouping a tenant's events by user or device) has its windows looked up by
   * the keys a run asks about instead (`askedWindows`), and cannot be listed.
   */
  windowsComplete: boolean;
  watermarks: Map<string, string>;
  /** Dedupe keys known to be seen (key -> expiry ms), per node; others are asked about and recorded. */
  seen: Map<string, Map<string, number>>;
}

/** What a run changed, to be written back in the same transaction as its effects. */
export interface StateChanges {
  windows: Map<string, Map<string, WindowState | null>>;
  watermarks: Map<string, string>;
  remembered: { nodeId: string; key: string; expiresAtMs: number }[];
  /** Dedupe keys the run asked about that were not loaded: unknown until checked against the database. */
  asked: Map<string, Set<string>>;
  /** Windows the run asked about that were not loaded, of a partition whose windows are not all loaded, per node. */
  askedWindows: Map<string, Set<string>>;
}

export function emptyState(): LoadedState {
  return { windows: new Map(), windowsComplete: true, watermarks: new Map(), seen: new Map() };
}

/**
 * An engine context over loaded state: reference data and price lists from memory, windows and
 * watermarks from the loaded rows, and every write recorded so the runtime can persist exactly
 * what changed. `ignoreStoredDedupe` lets a retried item pass a Dedupe node its first attempt marked.
 */
export function runtimeContext(
  reference: ReferenceData,
  state: LoadedState,
  options: { ignoreStoredDedupe?: boolean } = {},
): EngineContext & { changes: StateChanges } {
  const base = memoryContext(reference);
  const changes: StateChanges = {
    windows: new Map(),
    watermarks: new Map(),
    remembered: [],
    asked: new Map(),
    askedWindows: new Map(),
  };
  const inBatch = new Map<string, Map<string, number>>();
  const currentWindows = (nodeId: string) => {
    // Closing lists a partition's windows, and loads them all to do so.
    if (!state.windowsComplete)
      throw new Error(`The open windows of node ${nodeId} were not all loaded, and cannot be listed`);
    const merged = new Map(state.windows.get(nodeId) ?? []);
    for (const [key, window] of changes.windows.get(nodeId) ?? []) {
      if (window) merged.set(key, window);
      else merged.delete(key);
    }
    return merged;
  };
  return {
    lookup: base.lookup,
    priceList: base.priceList,
    dedupe: {
      // Processing, retries and replays read events from events_raw, where a (source, id) is stored once.
      uniqueEvents: true,
      seen(nodeId, key, atMs) {
        const batchExpiry = inBatch.get(nodeId)?.get(key);
        if (batchExpiry !== undefined) return atMs < batchExpiry;
        if (options.ignoreStoredDedupe) return false;
        const storedExpiry = state.seen.get(nodeId)?.get(key);
        if (storedExpiry !== undefined) return atMs < storedExpiry;
        perNode(changes.asked, nodeId, () => new Set()).add(key);
        return false;
      },
      remember(nodeId, key, expiresAtMs) {
        perNode(inBatch, nodeId, () => new Map()).set(key, expiresAtMs);
        changes.remembered.push({ nodeId, key, expiresAtMs });
      },
    },
    windows: {
      get: (nodeId, key) => {
        const changed = changes.windows.get(nodeId);
        if (changed?.has(key)) return changed.get(key) ?? undefined;
        const loaded = state.windows.get(nodeId)?.get(key);
        if (loaded === undefined && !state.windowsComplete)
          perNode(changes.askedWindows, nodeId, () => new Set()).add(key);
        return loaded;
      },
      set: (nodeId, window) => void perNode(changes.windows, nodeId, () => new Map()).set(window.key, window),
      delete: (nodeId, key) => void perNode(changes.windows, nodeId, () => new Map()).set(key, null),
      list: (nodeId) => [...currentWindows(nodeId).values()],
      watermark: (nodeId) => changes.watermarks.get(nodeId) ?? state.watermarks.get(nodeId),
      setWatermark: (nodeId, at) => void changes.watermarks.set(nodeId, at),
    },
    changes,
  };
}

/** A node's entry in a map by node, made by `create` on first use. */
export function perNode<C>(byNode: Map<string, C>, nodeId: string, create: () => C): C {
  let entry = byNode.get(nodeId);
  if (entry === undefined) byNode.set(nodeId, (entry = create()));
  return entry;
}
