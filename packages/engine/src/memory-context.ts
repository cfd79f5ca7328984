import type { EngineContext, PriceList, WindowState } from "./engine-types";

export interface ReferenceData {
  accounts?: Record<string, Record<string, unknown>>;
  products?: Record<string, Record<string, unknown>>;
  contracts?: Record<string, Record<string, unknown>>;
  priceLists?: (PriceList & { effectiveFrom: string; effectiveTo?: string })[];
}

/** An in-memory context: for tests, the designer's test runs and benchmarks. */
export function memoryContext(reference: ReferenceData = {}): EngineContext & { snapshot(): unknown } {
  const seen = new Map<string, Map<string, number>>();
  const seenBy = (nodeId: string) => {
    let keys = seen.get(nodeId);
    if (!keys) seen.set(nodeId, (keys = new Map()));
    return keys;
  };
  const windows = new Map<string, Map<string, WindowState>>();
  const watermarks = new Map<string, string>();
  const tables = { account: reference.accounts ?? {}, product: reference.products ?? {}, contract: reference.contracts ?? {}, priceList: {} } as const;
  const windowsOf = (nodeId: string) => {
    if (!windows.has(nodeId)) windows.set(nodeId, new Map());
    return windows.get(nodeId)!;
  };
  return {
    lookup: (table, key) => (Object.hasOwn(tables[table], key) ? (tables[table] as Record<string, Record<string, unknown>>)[key] : undefined),
    priceList: (name, region, at) =>
      (reference.priceLists ?? [])
        .filter((list) => list.name === name && (region === undefined || list.region === region) && list.effectiveFrom <= at && (!list.effectiveTo || at < list.effectiveTo))
        .sort((a, b) => b.version - a.version)[0],
    dedupe: {
      seen: (nodeId, key, atMs) => {
        const expiresAt = seenBy(nodeId).get(key);
        return expiresAt !== undefined && atMs < expiresAt;
      },
      remember: (nodeId, key, expiresAt) => void seenBy(nodeId).set(key, expiresAt),
    },
    windows: {
      get: (nodeId, key) => windowsOf(nodeId).get(key),
      set: (nodeId, window) => void windowsOf(nodeId).set(window.key, window),
      delete: (nodeId, key) => void windowsOf(nodeId).delete(key),
      list: (nodeId) => [...windowsOf(nodeId).values()],
      watermark: (nodeId) => watermarks.get(nodeId),
      setWatermark: (nodeId, at) => void watermarks.set(nodeId, at),
    },
    snapshot: () => ({
      windows: Object.fromEntries([...windows].map(([nodeId, byKey]) => [nodeId, Object.fromEntries([...byKey].sort())])),
      watermarks: Object.fromEntries([...watermarks].sort()),
    }),
  };
}
