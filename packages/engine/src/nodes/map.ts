import { exceptionItem, type NodeImplementation } from "../node-implementation";
import { eventTimeOf } from "../time-windows";

/** Builds a canonical object from field mappings, with audit metadata; a failing mapping is an exception. */
export const map: NodeImplementation<"map"> = {
  prepare(node, env) {
    const fields = node.config.fields.map((field) => ({ path: field.target.split("."), expression: env.expression(field.expression) }));
    return (items, run) => {
      const out = [];
      const failed = [];
      for (const item of items) {
        const target: Record<string, unknown> = {};
        let failure: string | undefined;
        for (const field of fields) {
          let value: unknown;
          try {
            value = field.expression.evaluate(item.value);
          } catch (error) {
            failure = `Mapping ${field.path.join(".")}: ${(error as Error).message}`;
            break;
          }
          if (value === undefined) continue;
          if (field.path.length === 1) target[field.path[0]!] = value;
          else setPath(target, field.path, value);
        }
        if (failure) {
          failed.push(exceptionItem(item, "invalid_event", failure));
          continue;
        }
        target.audit = { flowVersionHash: env.flowVersionHash, nodeId: node.id, correlationId: item.correlationId, eventTime: eventTimeOf(item.value) ?? null, mappingRef: node.config.target };
        const id = `${node.id}:${item.id}`;
        // A record carries its events: that is its lineage, no separate link needed.
        run.effects.records.push({ nodeId: node.id, type: node.config.target, id, payload: target, events: item.events, correlationId: item.correlationId });
        out.push({ id, value: target, events: item.events, correlationId: item.correlationId });
      }
      return { out, failed };
    };
  },
};

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let cursor = target;
  path.slice(0, -1).forEach((segment) => {
    if (typeof cursor[segment] !== "object" || cursor[segment] === null) cursor[segment] = {};
    cursor = cursor[segment] as Record<string, unknown>;
  });
  cursor[path[path.length - 1]!] = value;
}
