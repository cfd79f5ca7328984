import type { AstNode } from "@meterflow/expressions";
import { eventKey, type Item } from "../engine-types";
import { exceptionItem, type NodeImplementation } from "../node-implementation";
import { durationMs, eventTimeMs } from "../time-windows";

/** Drops repeats of a key within a window; repeats leave on the duplicate port, never silently. */
export const dedupe: NodeImplementation<"dedupe"> = {
  prepare(node, env) {
    const key = env.expression(node.config.key);
    const windowMs = durationMs(node.config.window);
    const identityKey = joinsSourceAndId(key.ast);
    return (items, run) => {
      const uniqueEvents = identityKey && run.context.dedupe.uniqueEvents === true;
      const unique = [];
      const duplicate = [];
      // Not a port of the node: the runner records these as exceptions.
      const invalid = [];
      for (const item of items) {
        if (uniqueEvents && isItsEvent(item)) {
          unique.push(item);
          continue;
        }
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

/**
 * Whether a key expression joins the item's `source` and `id` with a literal between them (in
 * either order, e.g. `source & "/" & id`): on an item that is an event, its identity.
 */
function joinsSourceAndId(ast: AstNode): boolean {
  const field = (node: AstNode | undefined) =>
    node?.type === "path" && node.steps?.length === 1 && node.steps[0]!.type === "name"
      ? node.steps[0]!.value
      : undefined;
  const inner = ast.lhs as AstNode | undefined;
  if (
    ast.type !== "binary" ||
    ast.value !== "&" ||
    inner?.type !== "binary" ||
    inner.value !== "&" ||
    inner.rhs?.type !== "string"
  )
    return false;
  const ends = [field(inner.lhs as AstNode), field(ast.rhs)].join(",");
  return ends === "source,id" || ends === "id,source";
}

/** The item is an event itself (its value is the event its lineage names), not something made from one. */
function isItsEvent(item: Item): boolean {
  const { source, id } = item.value as { source?: unknown; id?: unknown };
  return (
    typeof source === "string" &&
    typeof id === "string" &&
    item.events.length === 1 &&
    item.events[0] === eventKey({ source, id })
  );
}
