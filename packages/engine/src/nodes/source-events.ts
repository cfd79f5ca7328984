import type { NodeImplementation } from "../node-implementation";

/** Passes the events whose type (and source, when listed) the node binds to. */
export const sourceEvents: NodeImplementation<"source.events"> = {
  prepare(node) {
    const types = new Set(node.config.eventTypes);
    const sources = new Set(node.config.sources);
    return (items) => ({
      out: items.filter((item) => {
        const event = item.value as { type?: string; source?: string };
        return types.has(event.type ?? "") && (sources.size === 0 || sources.has(event.source ?? ""));
      }),
    });
  },
};
