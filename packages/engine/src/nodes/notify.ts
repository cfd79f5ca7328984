import type { NodeImplementation } from "../node-implementation";
import { prepareDelivery } from "./deliver";

export const notify: NodeImplementation<"notify"> = {
  prepare: (node, env) => prepareDelivery("notify", node.id, node.config, env, { done: "sent", failed: "failed" }),
};
