import { toBoolean } from "@meterflow/expressions";
import { exceptionItem, type NodeImplementation } from "../node-implementation";

/** Holds items matching `holdWhen` as approval requests; the rest pass as approved. */
export const approval: NodeImplementation<"approval"> = {
  prepare(node, env) {
    const holdWhen = env.expression(node.config.holdWhen);
    return (items, run) => {
      const approved = [];
      const rejected = [];
      const held = [];
      for (const item of items) {
        let hold: boolean;
        try {
          hold = toBoolean(holdWhen.evaluate(item.value)) ?? false;
        } catch (error) {
          rejected.push(
            exceptionItem(item, "approval_rejected", `Cannot decide whether to hold: ${(error as Error).message}`),
          );
          continue;
        }
        if (hold) {
          run.effects.approvals.push({
            nodeId: node.id,
            itemId: item.id,
            approverRole: node.config.approverRole,
            payload: item.value,
            events: item.events,
          });
          held.push(item);
        } else {
          approved.push(item);
        }
      }
      return { approved, rejected, __held: held };
    };
  },
};
