import { evaluateOn, exceptionItem, type NodeImplementation } from "../node-implementation";

/** Attaches reference data looked up by key; a miss is an unmatched_account / pricing_gap exception. */
export const enrich: NodeImplementation<"enrich"> = {
  prepare(node, env) {
    const lookups = node.config.lookups.map((lookup) => ({ ...lookup, key: env.expression(lookup.key), source: lookup.key }));
    return (items, run) => {
      const out = [];
      const miss = [];
      next: for (const item of items) {
        const enriched: Record<string, unknown> = { ...(item.value as Record<string, unknown>) };
        for (const lookup of lookups) {
          const key = evaluateOn(lookup.key, item.value);
          const found = key.ok && key.value !== undefined ? run.context.lookup(lookup.table, String(key.value)) : undefined;
          if (!found) {
            const reason = key.ok ? `No ${lookup.table} for ${lookup.source} = ${JSON.stringify(key.value)}` : key.reason;
            miss.push(exceptionItem(item, lookup.onMiss, reason));
            continue next;
          }
          enriched[lookup.as] = found;
        }
        out.push({ ...item, value: enriched });
      }
      return { out, miss };
    };
  },
};
