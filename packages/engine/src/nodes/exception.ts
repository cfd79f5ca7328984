import { evaluateOn, type NodeImplementation } from "../node-implementation";

/** Records items as exceptions: ones already carrying a kind keep it, others take the node's kind and reason. */
export const exception: NodeImplementation<"exception"> = {
  prepare(node, env) {
    const reason = env.expression(node.config.reason);
    return (items, run) => {
      for (const item of items) {
        let kind = node.config.kind;
        let text: string;
        if (item.exception) {
          kind = item.exception.kind;
          text = item.exception.reason;
        } else {
          const evaluated = evaluateOn(reason, item.value);
          text = evaluated.ok ? String(evaluated.value ?? node.config.kind) : evaluated.reason;
        }
        run.effects.exceptions.push({
          kind,
          reason: text,
          nodeId: node.id,
          raisedBy: item.exception?.raisedBy ?? node.id,
          itemId: item.id,
          correlationId: item.correlationId,
          events: item.events,
          payload: item.value,
        });
      }
      return {};
    };
  },
};
