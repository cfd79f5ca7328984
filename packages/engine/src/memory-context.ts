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
  const windows = new Map<string, Map<string, WindowState>>();
  const watermarks = new Map<string, string>();
  const tables = {
    account: reference.accounts ?? {},
    product: reference.products ?? {},
    contract: reference.contracts ?? {},
    priceList: {},
  } as const;
  const seenBy = (nodeId: string) => perNode(seen, nodeId);
  const windowsOf = (nodeId: string) => perNode(windows, nodeId);
  // Effective dates compare as instants: "…00Z" and "…00.000Z" are the same moment.
  const priceLists = (reference.priceLists ?? []).map((list) => ({
    list,
    fromMs: Date.parse(list.effectiveFrom),
    toMs: list.effectiveTo ? Date.parse(list.effectiveTo) : Number.POSITIVE_INFINITY,
  }));
  return {
    lookup: (table, key) =>
      Object.hasOwn(tables[table], key) ? (tables[table] as Record<string, Record<string, unknown>>)[key] : undefined,
    priceList: (name, region, at) => {
      const atMs = Date.parse(at);
      return priceLists
        .filter(
          ({ list, fromMs, toMs }) =>
            list.name === name && (region === undefined || list.region === region) && fromMs <= atMs && atMs < toMs,
        )
        .map(({ list }) => list)
        .sort((a, b) => b.version - a.version)[0];
    },
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
      windows: Object.fromEntries(
        [...windows].map(([nodeId, byKey]) => [nodeId, Object.fromEntries([...byKey].sort())]),
      ),
      watermarks: Object.fromEntries([...watermarks].sort()),
    }),
  };
}

function perNode<V>(byNode: Map<string, Map<string, V>>, nodeId: string): Map<string, V> {
  let entries = byNode.get(nodeId);
  if (!entries) byNode.set(nodeId, (entries = new Map()));
  return entries;
}
