import { evaluateOn, exceptionItem, type NodeImplementation } from "../node-implementation";
import { toTruthy } from "../truthiness";

/** Holds items matching `holdWhen` as approval requests; the rest pass as approved. */
export const approval: NodeImplementation<"approval"> = {
  prepare(node, env) {
    const holdWhen = env.expression(node.config.holdWhen);
    return (items, run) => {
      const approved = [];
      const rejected = [];
      const held = [];
      for (const item of items) {
        const verdict = evaluateOn(holdWhen, item.value);
        if (!verdict.ok) {
          rejected.push(exceptionItem(item, "approval_rejected", `Cannot decide whether to hold: ${verdict.reason}`));
        } else if (toTruthy(verdict.value)) {
          run.effects.approvals.push({ nodeId: node.id, itemId: item.id, approverRole: node.config.approverRole, payload: item.value, events: item.events });
          held.push(item);
        } else {
          approved.push(item);
        }
      }
      return { approved, rejected, __held: held };
    };
  },
};
