import { evaluateOn, exceptionItem, type NodeImplementation } from "../node-implementation";
import { durationMs, eventTimeMs } from "../time-windows";

/** Drops repeats of a key within a window; repeats leave on the duplicate port, never silently. */
export const dedupe: NodeImplementation<"dedupe"> = {
  prepare(node, env) {
    const key = env.expression(node.config.key);
    const windowMs = durationMs(node.config.window);
    return (items, run) => {
      const unique = [];
      const duplicate = [];
      for (const item of items) {
        const evaluated = evaluateOn(key, item.value);
        if (!evaluated.ok || evaluated.value === undefined) {
          unique.push(exceptionItem(item, "invalid_event", evaluated.ok ? `Dedupe key ${node.config.key} is empty for this event` : evaluated.reason));
          continue;
        }
        const dedupeKey = typeof evaluated.value === "string" ? evaluated.value : JSON.stringify(evaluated.value);
        const at = eventTimeMs(item.value);
        if (run.context.dedupe.seen(node.id, dedupeKey, at)) {
          duplicate.push(item);
          run.effects.duplicates.push({ nodeId: node.id, key: dedupeKey, events: item.events });
        } else {
          run.context.dedupe.remember(node.id, dedupeKey, at + windowMs);
          unique.push(item);
        }
      }
      // A key that cannot be evaluated is an exception, routed with the exceptions of this node's input.
      return { unique: unique.filter((item) => !item.exception), duplicate, invalid: unique.filter((item) => item.exception) };
    };
  },
};
