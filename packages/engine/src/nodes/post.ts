import type { NodeImplementation } from "../node-implementation";
import { prepareDelivery } from "./deliver";

export const post: NodeImplementation<"post"> = {
  prepare: (node, env) => prepareDelivery("post", node.id, node.config, env, { done: "posted", failed: "failed" }),
};
