import { exceptionItem, type NodeImplementation } from "../node-implementation";
import { eventTimeOf } from "../time-windows";

/** Builds a canonical object from field mappings, with audit metadata; a failing mapping is an exception. */
export const map: NodeImplementation<"map"> = {
  prepare(node, env) {
    const fields = node.config.fields.map((field) => ({
      path: field.target.split("."),
      expression: env.expression(field.expression),
    }));
    const construct = flatConstructor(fields.map((field) => field.path));
    const values: unknown[] = new Array(fields.length);
    return (items, run) => {
      const out = [];
      const failed = [];
      for (const item of items) {
        let failure: string | undefined;
        let complete = true;
        for (let f = 0; f < fields.length; f += 1) {
          const field = fields[f]!;
          try {
            values[f] = field.expression.evaluate(item.value);
          } catch (error) {
            failure = `Mapping ${field.path.join(".")}: ${(error as Error).message}`;
            break;
          }
          if (values[f] === undefined) complete = false;
        }
        if (failure) {
          failed.push(exceptionItem(item, "invalid_event", failure));
          continue;
        }
        const audit = {
          flowVersionHash: env.flowVersionHash,
          nodeId: node.id,
          correlationId: item.correlationId,
          eventTime: eventTimeOf(item.value) ?? null,
          mappingRef: node.config.target,
        };
        let target: Record<string, unknown>;
        if (construct && complete) target = construct(values, audit);
        else {
          // A mapping that yields nothing leaves its field out, as JSONata leaves out undefined values.
          target = {};
          for (let f = 0; f < fields.length; f += 1)
            if (values[f] !== undefined) setPath(target, fields[f]!.path, values[f]);
          target.audit = audit;
        }
        const id = `${node.id}:${item.id}`;
        // A record carries its events: that is its lineage, no separate link needed.
        run.effects.records.push({
          nodeId: node.id,
          type: node.config.target,
          id,
          payload: target,
          events: item.events,
          correlationId: item.correlationId,
        });
        out.push({ id, value: target, events: item.events, correlationId: item.correlationId });
      }
      return { out, failed };
    };
  },
};

/**
 * A generated constructor for flat targets, one object literal per Map node: V8 then gives every
 * record one shape at once instead of a transition per field (measured 0.1 against 0.35 µs per
 * record of eight fields). Undefined for nested targets, or where code generation is forbidden.
 */
function flatConstructor(
  paths: string[][],
): ((values: unknown[], audit: unknown) => Record<string, unknown>) | undefined {
  if (
    paths.some((path) => path.length !== 1 || path[0] === "audit" || path[0] === "__proto__") ||
    new Set(paths.map((path) => path[0])).size !== paths.length
  )
    return undefined;
  const fields = paths.map((path, index) => `${JSON.stringify(path[0])}: values[${index}]`);
  try {
    return new Function("values", "audit", `return { ${[...fields, "audit: audit"].join(", ")} };`) as (
      values: unknown[],
      audit: unknown,
    ) => Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  if (path.length === 1) {
    target[path[0]!] = value;
    return;
  }
  let cursor = target;
  path.slice(0, -1).forEach((segment) => {
    if (typeof cursor[segment] !== "object" || cursor[segment] === null) cursor[segment] = {};
    cursor = cursor[segment] as Record<string, unknown>;
  });
  cursor[path[path.length - 1]!] = value;
}
