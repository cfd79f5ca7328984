import { exceptionItem, type NodeImplementation } from "../node-implementation";
import { durationMs, eventTimeMs } from "../time-windows";

/** Drops repeats of a key within a window; repeats leave on the duplicate port, never silently. */
export const dedupe: NodeImplementation<"dedupe"> = {
  prepare(node, env) {
    const key = env.expression(node.config.key);
    const windowMs = durationMs(node.config.window);
    return (items, run) => {
      const unique = [];
      const duplicate = [];
      // Not a port of the node: the runner records these as exceptions.
      const invalid = [];
      for (const item of items) {
        let value: unknown;
        try {
          value = key.evaluate(item.value);
        } catch (error) {
          invalid.push(exceptionItem(item, "invalid_event", (error as Error).message));
          continue;
        }
        if (value === undefined) {
          invalid.push(exceptionItem(item, "invalid_event", `Dedupe key ${node.config.key} is empty for this event`));
          continue;
        }
        const dedupeKey = typeof value === "string" ? value : JSON.stringify(value);
        const at = eventTimeMs(item.value);
        if (run.context.dedupe.seen(node.id, dedupeKey, at)) {
          duplicate.push(item);
          run.effects.duplicates.push({ nodeId: node.id, key: dedupeKey, events: item.events });
        } else {
          run.context.dedupe.remember(node.id, dedupeKey, at + windowMs);
          unique.push(item);
        }
      }
      return { unique, duplicate, invalid };
    };
  },
};
